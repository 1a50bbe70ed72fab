//go:build windows

package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// handoff runs sso-credproc-renew as a child with this process's stdin,
// stdout and stderr and passes its exit status on. Windows has no exec, so
// two processes stand where Unix has one; this is what kills what:
//
//   - This process dies: the child dies with it. The child runs in a job
//     object of its own with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, whose only
//     handle this process holds (not inheritable), so a caller or a user
//     that kills sso-credproc (TerminateProcess, Task Manager) kills the
//     renew program too, and no orphan keeps the caller's pipes and the
//     locks, as on Unix, where killing the one pid ends both. The child is
//     created suspended and resumed once it is in the job, so it cannot
//     start anything, or exit, outside it. JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK
//     keeps what the child starts (the browser, the command of exec) out of
//     the job: those are not killed with it, as on Unix.
//   - Ctrl+C, Ctrl+Break, the console closing: the console signals every
//     process attached to it, the child too. This process ignores them and
//     waits for the child's answer (exit status 130 after an interrupted
//     call, with what the service issued stored first), which it returns.
//   - The caller gives up: the Go SDK kills only the cmd.exe /C it ran
//     sso-credproc through, and then waits for its stdout pipe, which both
//     processes hold. This process sees its parent exit (watchParent), takes
//     the kill flag off the job and exits; the child sees this process exit
//     (its own watchParent), closes its stdout and stderr and finishes a
//     sign-in under way in the background, as on Unix (Env.ParentGone). The
//     caller gets its answer at once; the next call finds the token stored.
//
// Should the job not be created or the child not go into it (not expected:
// Windows 8 and later nest a new job inside any job this process is in), the
// child runs without one: a killed sso-credproc then leaves it to finish as
// if the caller had gone.
func handoff(path string, args []string, signals <-chan os.Signal) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	parentGone := watchParent(ctx, parentPoll)

	c, err := startInJob(path, args)
	if err != nil {
		return err
	}
	defer c.close()
	return supervise(c, parentGone, signals)
}

// takeSignals receives Ctrl+C, Ctrl+Break and the console's closing on the
// returned channel, for supervise to drop, and only then calls stop, so
// that none can end this process with STATUS_CONTROL_C_EXIT in between.
// (signal.Ignore would not do: the Go runtime then leaves the event to the
// system's default handler, which exits.)
func takeSignals(stop func()) <-chan os.Signal {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	stop()
	return sigs
}

// jobChild is a started sso-credproc-renew and the job it runs in.
type jobChild struct {
	cmd *exec.Cmd
	job windows.Handle // 0: not in a job
}

// jobLimits are the job's limit flags while the child must die with this
// process (killOnClose) and after Outlive.
func jobLimits(killOnClose bool) uint32 {
	if killOnClose {
		return windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE | windows.JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK
	}
	return windows.JOB_OBJECT_LIMIT_SILENT_BREAKAWAY_OK
}

// setJobLimits sets the job's limit flags.
func setJobLimits(job windows.Handle, flags uint32) error {
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = flags
	_, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)))
	return err
}

// newJob creates a job that kills its processes when its last handle
// closes; 0 when it cannot.
func newJob() windows.Handle {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0
	}
	if err := setJobLimits(job, jobLimits(true)); err != nil {
		windows.CloseHandle(job)
		return 0
	}
	return job
}

// startInJob starts path with args, suspended, puts it in a new job and
// resumes it.
func startInJob(path string, args []string) (*jobChild, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: windows.CREATE_SUSPENDED}
	c := &jobChild{cmd: cmd, job: newJob()}
	if err := cmd.Start(); err != nil {
		c.close()
		return nil, err
	}
	if c.job != 0 {
		var err error
		if werr := cmd.Process.WithHandle(func(h uintptr) {
			err = windows.AssignProcessToJobObject(c.job, windows.Handle(h))
		}); werr != nil {
			err = werr
		}
		if err != nil {
			windows.CloseHandle(c.job) // empty: kills nothing
			c.job = 0
		}
	}
	if err := resumeProcess(uint32(cmd.Process.Pid)); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		c.close()
		return nil, fmt.Errorf("resume %s: %w", path, err)
	}
	return c, nil
}

// resumeProcess resumes the threads of the suspended process pid: its
// primary thread, the only one a process created suspended has. The caller
// holds the process's handle, so pid names no other process.
func resumeProcess(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return err
	}
	defer windows.CloseHandle(snap)
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	resumed := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return err
		}
		_, err = windows.ResumeThread(th)
		windows.CloseHandle(th)
		if err != nil {
			return err
		}
		resumed++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return err
	}
	if resumed == 0 {
		return errors.New("no thread of the process found")
	}
	return nil
}

// Wait implements renewChild.
func (c *jobChild) Wait() (int, error) {
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// Outlive implements renewChild: the job no longer kills the child when
// this process exits.
func (c *jobChild) Outlive() error {
	if c.job == 0 {
		return nil
	}
	return setJobLimits(c.job, jobLimits(false))
}

// close closes the job's handle: the child, if it still runs and Outlive
// was not called, is killed.
func (c *jobChild) close() {
	if c.job != 0 {
		windows.CloseHandle(c.job)
		c.job = 0
	}
}
