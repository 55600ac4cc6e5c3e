//! Plugins for Isolate in Rust, at the PROCESS level (`wasm32-wasi`): the guest SDK's C library
//! (`libisolate-wasm.a`, which owns the contract with the host) behind a safe API. A plugin registers handlers by
//! name, serves, calls host functions by name, reads its configuration and logs, as a C plugin does with
//! `isolate_guest.h`; the host calls it with `isolate.call(name, bytes)`.
//!
//! ```ignore
//! fn upper(input: &[u8]) -> Result<Vec<u8>, String> {
//!     Ok(input.to_ascii_uppercase())
//! }
//!
//! isolate_guest::plugin!({
//!     isolate_guest::register("upper", upper).unwrap();
//! });
//! ```
//!
//! Memory, as in C: the input a handler gets lives until it returns; what it returns is copied into the SDK's call
//! memory, which is freed when the next call begins, after the host has copied the reply.
#![deny(missing_docs)]

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_long, c_void};

#[repr(C)]
struct Reply {
    data: *mut c_void,
    len: usize,
}

type RawHandler = extern "C" fn(*const c_void, usize, *mut Reply) -> c_int;

extern "C" {
    fn isolate_register_handler(name: *const c_char, f: RawHandler) -> c_int;
    fn isolate_serve() -> c_int;
    fn isolate_host_call(
        name: *const c_char,
        input: *const c_void,
        input_len: usize,
        out: *mut *mut c_void,
        out_len: *mut usize,
    ) -> c_int;
    fn isolate_config(key: *const c_char) -> *const c_char;
    fn isolate_alloc(size: usize) -> *mut c_void;
    fn isolate_log_raw(level: c_int, msg: *const c_void, len: usize) -> c_long;
}

/// A handler: the call's input in, the reply out, or a message for the host's `CallException`.
pub type Handler = fn(&[u8]) -> Result<Vec<u8>, String>;

/// How many handlers a plugin may register, as the C SDK allows.
pub const MAX_HANDLERS: usize = 32;

/// Why a handler could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterError {
    /// The name is empty, longer than 255 bytes or holds NUL.
    BadName,
    /// [`MAX_HANDLERS`] are registered already, or the SDK refused the name (registered twice).
    Refused,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::BadName => write!(f, "a handler name is 1 to 255 bytes without NUL"),
            RegisterError::Refused => write!(f, "the handler could not be registered"),
        }
    }
}

/// A host function's failure: the reply status and the host's message (or a transport failure, status < 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCallError {
    /// The reply status (see `isolate_guest.h`), negative for a transport failure.
    pub status: i32,
    /// What the host said.
    pub message: String,
}

impl fmt::Display for HostCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host call failed (status {}): {}", self.status, self.message)
    }
}

/// Log levels, as the host prints them ("guest LEVEL: text" on the isolate's stderr).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Debugging detail.
    Debug = 0,
    /// Normal operation.
    Info = 1,
    /// Something unexpected.
    Warn = 2,
    /// A failure.
    Error = 3,
}

// The C SDK calls a handler through a plain function pointer, with no room for a closure: each registered Rust
// handler gets one of MAX_HANDLERS trampolines, which finds it in this table by its slot. A plugin runs on one
// thread (wasm32-wasi), so the table is only touched from there.
static mut HANDLERS: [Option<Handler>; MAX_HANDLERS] = [None; MAX_HANDLERS];

fn dispatch(slot: usize, input: *const c_void, len: usize, reply: *mut Reply) -> c_int {
    let handler = unsafe { HANDLERS[slot] };
    let handler = match handler {
        Some(h) => h,
        None => return 1,
    };
    let data: &[u8] = if len == 0 || input.is_null() {
        &[]
    } else {
        unsafe { std::slice::from_raw_parts(input as *const u8, len) }
    };
    let (status, bytes) = match handler(data) {
        Ok(out) => (0, out),
        Err(message) => (1, message.into_bytes()),
    };
    let reply = unsafe { &mut *reply };
    if bytes.is_empty() {
        reply.data = std::ptr::null_mut();
        reply.len = 0;
        return status;
    }
    let memory = unsafe { isolate_alloc(bytes.len()) };
    if memory.is_null() {
        reply.data = std::ptr::null_mut();
        reply.len = 0;
        return 1; // no call memory left: a failure without a message
    }
    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), memory as *mut u8, bytes.len()) };
    reply.data = memory;
    reply.len = bytes.len();
    status
}

macro_rules! trampolines {
    ($($slot:literal)*) => {
        const TRAMPOLINES: [RawHandler; MAX_HANDLERS] = [$({
            extern "C" fn trampoline(input: *const c_void, len: usize, reply: *mut Reply) -> c_int {
                dispatch($slot, input, len, reply)
            }
            trampoline
        }),*];
    };
}

trampolines!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31);

/// Registers `handler` under `name` (1 to 255 bytes), to be called as `isolate.call(name, bytes)`.
pub fn register(name: &str, handler: Handler) -> Result<(), RegisterError> {
    if name.is_empty() || name.len() > 255 {
        return Err(RegisterError::BadName);
    }
    let cname = CString::new(name).map_err(|_| RegisterError::BadName)?;
    let slot = unsafe { HANDLERS.iter().position(|h| h.is_none()) }.ok_or(RegisterError::Refused)?;
    unsafe { HANDLERS[slot] = Some(handler) };
    // The SDK keeps the name's pointer (a C plugin passes a string literal): it lives as long as the plugin.
    let kept = cname.into_raw();
    if unsafe { isolate_register_handler(kept, TRAMPOLINES[slot]) } != 0 {
        unsafe {
            HANDLERS[slot] = None;
            drop(CString::from_raw(kept));
        }
        return Err(RegisterError::Refused);
    }
    Ok(())
}

/// Tells the host the plugin serves its handlers; what [`plugin!`]'s main returns.
pub fn serve() -> i32 {
    if unsafe { isolate_serve() } < 0 {
        1
    } else {
        0
    }
}

/// Calls host function `name` (a bytes `HostFunction` the application declared) with `input`.
pub fn host_call(name: &str, input: &[u8]) -> Result<Vec<u8>, HostCallError> {
    let cname = CString::new(name).map_err(|_| HostCallError { status: 4, message: "a name holds NUL".into() })?;
    let mut out: *mut c_void = std::ptr::null_mut();
    let mut out_len: usize = 0;
    let status = unsafe {
        isolate_host_call(cname.as_ptr(), input.as_ptr() as *const c_void, input.len(), &mut out, &mut out_len)
    };
    let reply = if out.is_null() || out_len == 0 {
        Vec::new()
    } else {
        unsafe { std::slice::from_raw_parts(out as *const u8, out_len) }.to_vec()
    };
    if status == 0 {
        Ok(reply)
    } else {
        Err(HostCallError { status, message: String::from_utf8_lossy(&reply).into_owned() })
    }
}

/// The value the application set for `key` with `Isolate.Builder.config(key, value)`, if any.
pub fn config(key: &str) -> Option<String> {
    let ckey = CString::new(key).ok()?;
    let value = unsafe { isolate_config(ckey.as_ptr()) };
    if value.is_null() {
        None
    } else {
        Some(unsafe { CStr::from_ptr(value) }.to_string_lossy().into_owned())
    }
}

/// Sends one line to the host, which writes it to the isolate's stderr as "guest LEVEL: text".
pub fn log(level: Level, message: &str) {
    unsafe { isolate_log_raw(level as c_int, message.as_ptr() as *const c_void, message.len()) };
}

/// Makes the plugin's entry point: runs `$init` (register handlers there), then serves.
#[macro_export]
macro_rules! plugin {
    ($init:block) => {
        /// The plugin's main, called once by the host (the SDK's `isolate_start`).
        #[no_mangle]
        pub extern "C" fn __original_main() -> i32 {
            $init
            $crate::serve()
        }
    };
}
