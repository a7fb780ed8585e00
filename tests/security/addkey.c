/* Asks the kernel for one key (never more: a boundary that fails must not fill anybody's quota).
 * Prints "add_key: ok" or "add_key: <errno name>". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  long r = syscall(SYS_add_key, "user", "registry-lab-test", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
  if (r >= 0) { puts("add_key: ok"); return 0; }
  printf("add_key: %s\n", errno == ENOSYS ? "ENOSYS" : errno == EPERM ? "EPERM" : errno == EDQUOT ? "EDQUOT" : strerror(errno));
  return 1;
}
