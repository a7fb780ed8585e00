/* Asks the kernel once for each per-uid resource the workstations would otherwise share (a key, an
 * inotify instance, a message queue), never more: a boundary that fails must not fill anybody's quota. Prints one
 * line each: "<call>: ok" or "<call>: <errno name>". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static const char *name(int e) { return e == ENOSYS ? "ENOSYS" : e == EPERM ? "EPERM" : e == EDQUOT ? "EDQUOT" : e == EMFILE ? "EMFILE" : strerror(e); }
int main(void) {
  long r = syscall(SYS_add_key, "user", "registry-lab-test", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
  printf("add_key: %s\n", r >= 0 ? "ok" : name(errno));
  r = syscall(SYS_inotify_init1, 0);
  printf("inotify_init1: %s\n", r >= 0 ? "ok" : name(errno));
  if (r >= 0) close((int)r);
  r = syscall(SYS_mq_open, "registry-lab-test", 0100 /* O_CREAT */ | 02 /* O_RDWR */, 0600, NULL);
  printf("mq_open: %s\n", r >= 0 ? "ok" : name(errno));
  if (r >= 0) { close((int)r); syscall(SYS_mq_unlink, "registry-lab-test"); }
  return 0;
}
