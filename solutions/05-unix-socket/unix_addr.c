/*
 * unix_addr.c - unix_addr_make(), declared in unix_addr.h.
 */
#include "unix_addr.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

int unix_addr_make(const char *path, struct sockaddr_un *addr, socklen_t *len)
{
	size_t n = strlen(path);

	if (n == 0) {
		errno = EINVAL; /* sun_path[0] == '\0' names an abstract socket */
		return -1;
	}
	if (n > UNIX_PATH_MAX) {
		errno = ENAMETOOLONG; /* never cut a path: it would name another file */
		return -1;
	}
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}
