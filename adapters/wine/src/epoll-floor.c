/*
 * epoll-floor.so: preloaded into the wineserver, in front of libfaketime.
 *
 * The wineserver refreshes Wine's shared user data every 16 ms, so its epoll_wait always
 * has a timeout of at most 16 ms. libfaketime divides timeouts by the speed-up and rounds
 * down: at x60 every such timeout becomes 0 ms and the wineserver spins on a whole core.
 * This shim raises a positive timeout below DCOMKIT_EPOLL_FLOOR_MS (the speed-up, set by
 * run-driver.sh) to that floor, which libfaketime turns into 1 real ms. A wineserver timer
 * may then fire up to one real millisecond late, which the kit's bounds never notice.
 * Native code (built with the host's cc), not Windows code.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/epoll.h>

typedef int (*epoll_wait_fn)(int, struct epoll_event *, int, int);

static epoll_wait_fn next_epoll_wait;
static int floor_ms = -1;

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
  if (!next_epoll_wait) next_epoll_wait = (epoll_wait_fn)dlsym(RTLD_NEXT, "epoll_wait");
  if (floor_ms < 0) {
    const char *s = getenv("DCOMKIT_EPOLL_FLOOR_MS");
    floor_ms = s ? atoi(s) : 0;
  }
  if (timeout > 0 && timeout < floor_ms) timeout = floor_ms;
  return next_epoll_wait(epfd, events, maxevents, timeout);
}
