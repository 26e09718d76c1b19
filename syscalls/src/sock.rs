//! `getsockopt(TCP_INFO)`: how the sk_msg fast path is told apart from TCP in the tests and
//! the benchmark (redirected data bypasses TCP, so `tcpi_bytes_acked` stops growing).

use std::os::fd::{AsRawFd, BorrowedFd};

/// `getsockopt(fd, IPPROTO_TCP, TCP_INFO)`.
pub fn tcp_info(sock: BorrowedFd<'_>) -> std::io::Result<libc::tcp_info> {
    // SAFETY: `tcp_info` is a struct of plain integers; all-zero is a valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` is writable for `len` bytes, `len` is its size, and `sock` is an open fd
    // for the duration of the call.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(info)
}
