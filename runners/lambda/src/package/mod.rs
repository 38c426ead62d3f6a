//! The deployment package the runner uploads: a zip with `bootstrap` (netcheck itself,
//! built to run on Amazon Linux 2023) and any custom plugins. [`build_package`] makes it
//! on the operator's machine, after [`elf`] checked that the bootstrap will run there.

use std::fmt;

mod build;
pub mod elf;

pub use build::build_package;

/// The function's instruction set, read from the bootstrap's ELF header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// Lambda's name for it (`x86_64`, `arm64`).
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// Parses `x86_64`/`amd64` and `arm64`/`aarch64`.
    pub fn parse(text: &str) -> Option<Arch> {
        match text.to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x86-64" => Some(Arch::X86_64),
            "arm64" | "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ready-to-upload deployment package.
#[derive(Clone)]
pub struct Package {
    /// The zip file's bytes.
    pub zip: Vec<u8>,
    pub arch: Arch,
    /// sha256 of `zip`, hex.
    pub sha256: String,
    /// Human description of where the bootstrap came from, for progress and errors.
    pub bootstrap: String,
}

impl fmt::Debug for Package {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Package")
            .field("bytes", &self.zip.len())
            .field("arch", &self.arch)
            .field("sha256", &self.sha256)
            .field("bootstrap", &self.bootstrap)
            .finish()
    }
}
