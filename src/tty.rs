//! Terminal devices, Linux only: opening a serial port in raw mode, reading and setting its bit
//! rate (any rate, through `termios2`/`BOTHER`, so 14400 works), and pseudo-terminal pairs. Knows
//! no pbuild type; every function returns `io::Result`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn get2(fd: RawFd) -> io::Result<libc::termios2> {
    // SAFETY: TCGETS2 fills a termios2 the size of the struct we pass.
    let mut t: libc::termios2 = unsafe { std::mem::zeroed() };
    check(unsafe { libc::ioctl(fd, libc::TCGETS2, &mut t) })?;
    Ok(t)
}

fn set2(fd: RawFd, t: &libc::termios2) -> io::Result<()> {
    // SAFETY: TCSETS2 reads a termios2.
    check(unsafe { libc::ioctl(fd, libc::TCSETS2, t) })?;
    Ok(())
}

/// The output bit rate of the terminal `fd` (for a pseudo-terminal master, its slave's).
pub fn speed(fd: RawFd) -> io::Result<u32> {
    Ok(get2(fd)?.c_ospeed)
}

/// Set the terminal's bit rate to `rate`, whatever it is (a USB CDC device gets it as a
/// SET_LINE_CODING request).
pub fn set_speed(fd: RawFd, rate: u32) -> io::Result<()> {
    let mut t = get2(fd)?;
    t.c_cflag &= !libc::CBAUD;
    t.c_cflag |= libc::BOTHER;
    t.c_ispeed = rate;
    t.c_ospeed = rate;
    set2(fd, &t)
}

/// Raw mode: bytes as they come, no echo, no line editing, reads return what is there.
pub fn make_raw(fd: RawFd) -> io::Result<()> {
    // SAFETY: tcgetattr/cfmakeraw/tcsetattr on a valid descriptor and a zeroed termios.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    check(unsafe { libc::tcgetattr(fd, &mut t) })?;
    unsafe { libc::cfmakeraw(&mut t) };
    t.c_cc[libc::VMIN] = 0;
    t.c_cc[libc::VTIME] = 2;
    check(unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) })?;
    Ok(())
}

/// Open a serial port for reading and writing, without making it the controlling terminal.
pub fn open_port(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(path)
}

/// "Touch" a port at `rate`: open it, set the rate, close it. For a Particle device, 14400
/// means "enter DFU mode" and 28800 "listening mode" (`build/module-defaults.mk`).
pub fn touch(path: &Path, rate: u32) -> io::Result<()> {
    let f = open_port(path)?;
    set_speed(f.as_raw_fd(), rate)
}

/// A pseudo-terminal pair: the master (kept by the simulator) and the slave's path.
pub struct Pty {
    pub master: OwnedFd,
    /// Kept open so the terminal's settings and buffered output survive between users.
    pub slave: OwnedFd,
    pub path: PathBuf,
}

/// A new pseudo-terminal in raw mode, its master non-blocking.
pub fn open_pty() -> io::Result<Pty> {
    let (mut m, mut s) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: openpty writes two descriptors and a NUL-terminated name into the buffers given.
    check(unsafe {
        libc::openpty(
            &mut m,
            &mut s,
            name.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    })?;
    // SAFETY: openpty returned two open descriptors that we now own.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(m), OwnedFd::from_raw_fd(s)) };
    // SAFETY: `name` is NUL-terminated by openpty.
    let path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    make_raw(slave.as_raw_fd())?;
    let flags = check(unsafe { libc::fcntl(master.as_raw_fd(), libc::F_GETFL) })?;
    check(unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) })?;
    Ok(Pty {
        master,
        slave,
        path: PathBuf::from(path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_rate_set_on_the_slave_is_seen_on_the_master_and_data_flows() {
        let pty = open_pty().unwrap();
        touch(&pty.path, 14400).unwrap();
        assert_eq!(speed(pty.master.as_raw_fd()).unwrap(), 14400);
        let mut master = File::from(pty.master.try_clone().unwrap());
        master.write_all(b"hello\n").unwrap();
        let mut port = open_port(&pty.path).unwrap();
        make_raw(port.as_raw_fd()).unwrap();
        let mut buf = [0u8; 16];
        let n = port.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"hello\n");
    }
}
