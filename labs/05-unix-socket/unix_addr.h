/*
 * unix_addr.h - the address of an AF_UNIX socket: a path in the file system.
 *
 * struct sockaddr_un holds the path in sun_path, a fixed array of 108 bytes on
 * Linux, terminating NUL included: a path of 1 to 107 bytes fits. A longer one
 * must be refused, never cut (a cut path names another file), and an empty
 * one too: a sun_path that starts with a NUL byte names an abstract socket,
 * which has no file at all.
 */
#ifndef UNIX_ADDR_H
#define UNIX_ADDR_H

#include <sys/socket.h>
#include <sys/un.h>

/* The longest path that fits in sun_path with its NUL: 107 on Linux. */
#define UNIX_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/*
 * Fills *addr with AF_UNIX and path (copied with its NUL, the rest of addr
 * zeroed) and sets *len to the length to give bind(2) or connect(2): the
 * offset of sun_path plus the path's length plus one for the NUL.
 * Returns 0, or -1 with errno set, leaving *addr and *len untouched:
 *   EINVAL        path is empty ("" would bind an abstract socket);
 *   ENAMETOOLONG  path is longer than UNIX_PATH_MAX bytes.
 */
int unix_addr_make(const char *path, struct sockaddr_un *addr, socklen_t *len);

#endif /* UNIX_ADDR_H */
