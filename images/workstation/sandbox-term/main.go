// sandbox-term: a terminal's login shell wired straight to the runner, without the engine's exec
// stream (dockerd and containerd-shim copying every byte through FIFOs) in between.
//
// The runner starts it by exec (detached), with the terminal's token in REGISTRY_LAB_TERM_TOKEN,
// and listens on SOCKET, a socket of its own in a directory it mounts read-only here. This program
// makes a pseudo-terminal, starts the login shell on it and connects twice: "<token> d\n" then raw
// bytes both ways (input to the shell, the shell's output back), and "<token> c\n" then lines
// "<cols> <rows>\n" (window size). It ends with the shell's exit status once the shell ended, or
// hangs the shell up when the runner closes the data connection.
//
// Usage: sandbox-term SOCKET COLS ROWS -- COMMAND [ARG...]
package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"
)

const tokenVar = "REGISTRY_LAB_TERM_TOKEN"

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "sandbox-term: "+format+"\n", args...)
	os.Exit(125)
}

func ioctl(fd uintptr, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

type winsize struct{ rows, cols, x, y uint16 }

// fdCall runs fn with the file's descriptor. Not f.Fd(): that puts the descriptor in blocking
// mode, and relayOutput reads the terminal until it has nothing more (EAGAIN).
func fdCall(f *os.File, fn func(fd uintptr) error) error {
	raw, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := raw.Control(func(fd uintptr) { ferr = fn(fd) }); err != nil {
		return err
	}
	return ferr
}

func setSize(f *os.File, cols, rows int) {
	if cols < 1 || rows < 1 || cols > 1000 || rows > 1000 {
		return
	}
	ws := winsize{rows: uint16(rows), cols: uint16(cols)}
	_ = fdCall(f, func(fd uintptr) error { return ioctl(fd, syscall.TIOCSWINSZ, unsafe.Pointer(&ws)) })
}

func openPty() (*os.File, *os.File, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	unlock := int32(0)
	var n uint32
	err = fdCall(master, func(fd uintptr) error {
		if err := ioctl(fd, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
			return err
		}
		return ioctl(fd, syscall.TIOCGPTN, unsafe.Pointer(&n))
	})
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	slave, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}

// relayOutput copies the terminal's output to the runner, each write taking all the terminal has
// at that moment (up to 64 KiB): a pseudo-terminal hands over about 4 KiB per read, and bulk output
// (a build log, `base64` of a file) sent as it is read reached the runner as as many small chunks.
// A keystroke's echo is alone in the terminal, so it still leaves at once.
func relayOutput(to net.Conn, from *os.File) {
	raw, err := from.SyscallConn()
	if err != nil {
		io.Copy(to, from)
		return
	}
	buf := make([]byte, 64*1024)
	for {
		n := 0
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			for n < len(buf) {
				m, e := syscall.Read(int(fd), buf[n:])
				switch {
				case m > 0:
					n += m
				case e == syscall.EINTR:
				case e == syscall.EAGAIN:
					return n > 0 // nothing more now: send what there is, or wait for some
				case e != nil:
					rerr = e // EIO: nothing holds the terminal any more
					return true
				default:
					rerr = io.EOF
					return true
				}
			}
			return true
		})
		if n > 0 {
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil || rerr != nil {
			return
		}
	}
}

func dial(socket, token, kind string) net.Conn {
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		fail("cannot reach the runner: %v", err)
	}
	if _, err := io.WriteString(c, token+" "+kind+"\n"); err != nil {
		fail("cannot reach the runner: %v", err)
	}
	return c
}

func main() {
	if len(os.Args) < 6 || os.Args[4] != "--" {
		fail("usage: sandbox-term SOCKET COLS ROWS -- COMMAND [ARG...]")
	}
	socket, command := os.Args[1], os.Args[5:]
	cols, _ := strconv.Atoi(os.Args[2])
	rows, _ := strconv.Atoi(os.Args[3])
	token := os.Getenv(tokenVar)
	os.Unsetenv(tokenVar)
	if token == "" {
		fail("no %s", tokenVar)
	}

	master, slave, err := openPty()
	if err != nil {
		fail("no pseudo-terminal: %v", err)
	}
	setSize(master, cols, rows)
	data := dial(socket, token, "d")
	ctl := dial(socket, token, "c")

	shell := exec.Command(command[0], command[1:]...)
	shell.Stdin, shell.Stdout, shell.Stderr = slave, slave, slave
	shell.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := shell.Start(); err != nil {
		fail("cannot start %s: %v", command[0], err)
	}
	slave.Close()

	// The shell's output to the runner; ends at EIO once nothing holds the terminal any more.
	output := make(chan struct{})
	go func() {
		relayOutput(data, master)
		close(output)
	}()
	// Input; the runner closing its end is a hang-up.
	go func() {
		io.Copy(master, data)
		syscall.Kill(-shell.Process.Pid, syscall.SIGHUP)
	}()
	go func() {
		lines := bufio.NewScanner(io.LimitReader(ctl, 1<<20))
		for lines.Scan() {
			f := strings.Fields(lines.Text())
			if len(f) == 2 {
				c, _ := strconv.Atoi(f[0])
				r, _ := strconv.Atoi(f[1])
				setSize(master, c, r)
			}
		}
	}()

	status := 0
	if err := shell.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			status = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				status = 128 + int(ws.Signal())
			}
		} else {
			status = 1
		}
	}
	// What the shell wrote last still goes out; a process it left holding the terminal does not
	// keep the terminal open (as with the engine's exec, the terminal ends with its shell).
	select {
	case <-output:
	case <-time.After(200 * time.Millisecond):
	}
	data.Close()
	ctl.Close()
	os.Exit(status)
}
