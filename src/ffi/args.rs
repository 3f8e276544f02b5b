//! Arguments in and outputs out: C strings and buffers checked once at the
//! boundary, outputs written whole or kept (`HB_BUFFER_TOO_SMALL`), sized
//! structs read and written as far as both sides know them.

use super::error::{Failure, FfiResult, HbStatus::*};
use crate::lab::brokers::BrokerAddr;
use std::ffi::{c_char, c_void, CStr};

/// A required string argument.
pub(crate) fn str_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, Failure> {
    opt_str_arg(p, what)?.ok_or_else(|| Failure::arg(format!("{what} is NULL")))
}

/// An optional string argument (NULL = `None`).
pub(crate) fn opt_str_arg<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller passes a NUL-terminated string that outlives the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map(Some).map_err(|_| Failure::arg(format!("{what} is not valid UTF-8")))
}

/// A byte buffer argument: `p` of `len` bytes (NULL allowed only with 0).
pub(crate) fn bytes_arg<'a>(p: *const c_void, len: usize, what: &str) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
    }
    // SAFETY: the caller passes `len` readable bytes that outlive the call.
    Ok(unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) })
}

/// A required out-pointer, checked before any work is done.
pub(crate) struct Out<T>(*mut T);

impl<T> Out<T> {
    pub(crate) fn new(p: *mut T, what: &str) -> Result<Out<T>, Failure> {
        if p.is_null() {
            Err(Failure::arg(format!("{what} is NULL")))
        } else {
            Ok(Out(p))
        }
    }
    pub(crate) fn set(&self, v: T) {
        // SAFETY: non-NULL (checked in `new`); the caller passes a pointer to writable `T`.
        unsafe { self.0.write(v) }
    }
}

/// An optional out-pointer (NULL = not wanted).
pub(crate) fn set_opt<T>(p: *mut T, v: T) {
    if !p.is_null() {
        // SAFETY: non-NULL; the caller passes a pointer to writable `T`.
        unsafe { p.write(v) }
    }
}

/// A caller's string buffer: `buf` of `len` bytes, optional `out_len`.
/// Text is written whole or not at all: a text that does not fit is
/// `HB_BUFFER_TOO_SMALL` with the length needed, and the caller's item is
/// not taken (the caller checks [`StrOut::fits`] before taking it).
pub(crate) struct StrOut {
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
}

impl StrOut {
    /// `buf` may be NULL only when `len` is 0 (a size query).
    pub(crate) fn new(buf: *mut c_char, len: usize, out_len: *mut usize, what: &str) -> Result<StrOut, Failure> {
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
        }
        Ok(StrOut { buf, len, out_len })
    }

    /// True when the caller wants no text (NULL buffer, length 0).
    pub(crate) fn skipped(&self) -> bool {
        self.buf.is_null() && self.len == 0
    }

    /// Whether a text of `n` bytes fits (with its NUL), or is not wanted.
    pub(crate) fn fits(&self, n: usize) -> bool {
        self.skipped() || n < self.len
    }

    /// The failure for a text of `n` bytes that does not fit; `*out_len` = `n`.
    pub(crate) fn too_small(&self, n: usize) -> Failure {
        set_opt(self.out_len, n);
        if self.len > 0 {
            // SAFETY: buf holds at least one byte (len > 0, non-NULL checked in `new`).
            unsafe { self.buf.write(0) };
        }
        Failure::new(
            HB_BUFFER_TOO_SMALL,
            format!("buffer too small: {} bytes needed (with the NUL), {} given; nothing was taken", n + 1, self.len),
        )
    }

    /// Write `s` with its NUL and set `*out_len`; if it does not fit, nothing
    /// but an empty string is written and the result is `HB_BUFFER_TOO_SMALL`.
    /// A skipped buffer only gets `*out_len`.
    pub(crate) fn put(&self, s: &str) -> FfiResult {
        if !self.fits(s.len()) {
            return Err(self.too_small(s.len()));
        }
        set_opt(self.out_len, s.len());
        if !self.skipped() {
            // SAFETY: buf is non-NULL and holds `len` > s.len() bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.cast::<u8>(), s.len());
                self.buf.add(s.len()).write(0);
            }
        }
        Ok(())
    }
}

/// Copy a counters struct to a caller's struct whose first field, `size`,
/// the caller set to `sizeof` its struct: as many bytes as both know are
/// written, and `size` is set to that count. So an older caller (smaller
/// struct) and a newer library, or the other way round, never overrun.
///
/// `T` must be `#[repr(C)]` with `size: u32` first.
pub(crate) fn put_sized<T: Copy>(out: *mut T, mut v: T, what: &str) -> FfiResult {
    if out.is_null() {
        return Err(Failure::arg(format!("{what} is NULL")));
    }
    // SAFETY: the caller passes a struct that starts with its u32 size.
    let size = unsafe { out.cast::<u32>().read_unaligned() } as usize;
    if size < 8 {
        return Err(Failure::arg(format!("{what}->size must be set to sizeof the struct (at least 8), not {size}")));
    }
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: `T` starts with a u32 size (documented requirement of this function).
    unsafe { (&mut v as *mut T).cast::<u32>().write(n as u32) };
    // SAFETY: the caller's struct holds `size` >= n bytes; `v` holds size_of::<T>() >= n bytes.
    unsafe { std::ptr::copy_nonoverlapping((&v as *const T).cast::<u8>(), out.cast::<u8>(), n) };
    Ok(())
}

/// The `size` a caller wrote at the start of its sized struct (NULL refused).
fn caller_size<T>(p: *const T, what: &str) -> Result<usize, Failure> {
    if p.is_null() {
        return Err(Failure::arg(format!("{what} is NULL")));
    }
    // SAFETY: the caller passes a struct that starts with its u32 size.
    Ok(unsafe { p.cast::<u32>().read_unaligned() } as usize)
}

/// Read a caller's sized input struct: the fields past its `size` take the
/// values of `dflt`. `T` is `#[repr(C)]` with `size: u32` first.
pub(crate) fn read_sized<T: Copy>(p: *const T, dflt: T, what: &str) -> Result<T, Failure> {
    let size = caller_size(p, what)?;
    if size < 8 {
        return Err(Failure::arg(format!("{what}->size must be set to sizeof the struct, not {size}")));
    }
    let mut v = dflt;
    let n = size.min(std::mem::size_of::<T>());
    // SAFETY: the caller's struct holds `size` >= n bytes, `v` holds size_of::<T>() >= n.
    unsafe { std::ptr::copy_nonoverlapping(p.cast::<u8>(), (&mut v as *mut T).cast::<u8>(), n) };
    Ok(v)
}

/// Read a caller's sized struct whose every field is required (an
/// argument struct: pointers have no default): `size` must cover it all.
pub(crate) fn read_whole<T: Copy>(p: *const T, what: &str) -> Result<T, Failure> {
    let size = caller_size(p, what)?;
    if size < std::mem::size_of::<T>() {
        return Err(Failure::arg(format!("{what}->size must be set to sizeof the struct ({}), not {size}", std::mem::size_of::<T>())));
    }
    // SAFETY: the struct holds at least size_of::<T>() bytes.
    Ok(unsafe { p.read_unaligned() })
}

/// `"HOST[:XSUB_PORT:XPUB_PORT],..."` and the other forms of
/// [`BrokerAddr::parse`]; NULL or empty = `127.0.0.1`.
pub(crate) fn brokers_arg(p: *const c_char) -> Result<Vec<BrokerAddr>, Failure> {
    Ok(BrokerAddr::parse_list(opt_str_arg(p, "brokers")?.unwrap_or(""))?)
}

/// A cathetus given as text: checked here so a bad number is `HB_INVALID_ARGUMENT`.
pub(crate) fn number_arg(p: *const c_char, which: char) -> Result<crate::wire::Number, Failure> {
    let s = str_arg(p, &format!("cathetus {which}"))?;
    crate::wire::Number::parse(s.as_bytes()).map_err(|e| Failure::arg(format!("cathetus {which}: {e}")))
}

/// A binary output buffer: `buf` of `len` bytes, the size in `*out_len`
/// (optional). Written whole or not at all.
pub(crate) struct BytesOut {
    buf: *mut c_void,
    len: usize,
    out_len: *mut usize,
}

impl BytesOut {
    pub(crate) fn new(buf: *mut c_void, len: usize, out_len: *mut usize, what: &str) -> Result<BytesOut, Failure> {
        if buf.is_null() && len > 0 {
            return Err(Failure::arg(format!("{what} is NULL but its length is {len}")));
        }
        Ok(BytesOut { buf, len, out_len })
    }
    pub(crate) fn fits(&self, n: usize) -> bool {
        n <= self.len
    }
    pub(crate) fn too_small(&self, n: usize) -> Failure {
        set_opt(self.out_len, n);
        Failure::new(HB_BUFFER_TOO_SMALL, format!("buffer too small: {n} bytes needed, {} given; nothing was taken", self.len))
    }
    pub(crate) fn put(&self, b: &[u8]) -> FfiResult {
        if !self.fits(b.len()) {
            return Err(self.too_small(b.len()));
        }
        set_opt(self.out_len, b.len());
        if !b.is_empty() {
            // SAFETY: buf holds `len` >= b.len() writable bytes (non-NULL since len > 0).
            unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), self.buf.cast::<u8>(), b.len()) };
        }
        Ok(())
    }
}
