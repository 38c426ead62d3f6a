//! Log lines through the host (`host.log`), with `format!`-style macros.
//!
//! ```no_run
//! netcheck_guest::log::info!("planning {} probes", 2);
//! ```
//!
//! The host decides where lines go and at which level they show (`--verbose`). Never log
//! anything secret; plugins never see secrets anyway. When this crate is compiled for
//! anything but WebAssembly (native unit tests), lines go to stderr instead.

use crate::LogLevel;
pub use crate::{debug, error, info, trace, warn};

/// Writes one log line at `level`.
pub fn write(level: LogLevel, message: &str) {
    #[cfg(target_family = "wasm")]
    crate::bindings::netcheck::plugin::host::log(level, message);
    #[cfg(not(target_family = "wasm"))]
    eprintln!("[{level:?}] {message}");
}

/// Logs at trace level: `trace!("raw {}", x)`.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log::write($crate::LogLevel::Trace, &::std::format!($($arg)+)) };
}

/// Logs at debug level: `debug!("planned {}", n)`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log::write($crate::LogLevel::Debug, &::std::format!($($arg)+)) };
}

/// Logs at info level: `info!("using bucket {}", b)`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log::write($crate::LogLevel::Info, &::std::format!($($arg)+)) };
}

/// Logs at warn level: `warn!("ignoring option {}", k)`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log::write($crate::LogLevel::Warn, &::std::format!($($arg)+)) };
}

/// Logs at error level: `error!("cannot parse {}", x)`.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log::write($crate::LogLevel::Error, &::std::format!($($arg)+)) };
}
