/*
 * unix_addr.c - unix_addr_make(), declared in unix_addr.h.
 */
#include "unix_addr.h"

#include <err.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * Says once per function, on stderr, that the function called name is still to
 * be written, and fails with ENOSYS ("Function not implemented"). Delete it
 * once no function calls it.
 */
static int not_implemented(const char *name, bool *warned)
{
	if (!*warned)
		warnx("%s() is not implemented yet", name);
	*warned = true;
	errno = ENOSYS;
	return -1;
}

int unix_addr_make(const char *path, struct sockaddr_un *addr, socklen_t *len)
{
	static bool warned;

	/*
	 * TODO (step 1, "The address"): fill *addr and *len
	 * as unix_addr.h says. Refuse an empty path (EINVAL) and a path longer
	 * than UNIX_PATH_MAX bytes (ENAMETOOLONG) before you touch *addr: never
	 * cut a path. Otherwise zero *addr, set sun_family to AF_UNIX, copy the
	 * path with its NUL into sun_path, and set *len to the offset of
	 * sun_path (offsetof(3)) plus the path's length plus one.
	 * See unix(7), "Address format", and strlen(3), memcpy(3).
	 */
	(void)path;
	(void)addr;
	(void)len;
	return not_implemented(__func__, &warned);
}
