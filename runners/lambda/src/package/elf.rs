//! Can this binary be a `provided.al2023` function's `bootstrap`? Read from its ELF
//! headers: a 64-bit Linux executable for x86_64 or aarch64 (which gives the function's
//! architecture), either static or linked against glibc needing no symbol version newer
//! than Amazon Linux 2023's glibc 2.34.
//!
//! A binary built on a newer distribution (Debian 12: glibc 2.36, Ubuntu 24.04: 2.39)
//! often needs e.g. `GLIBC_2.38` and would fail at start-up inside Lambda with a loader
//! error nobody sees; this check refuses it up front and names the fix.

use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader};

use super::Arch;

/// Offsets of the class (32/64-bit) and data (endianness) bytes in `e_ident`.
const EI_CLASS: usize = 4;
const EI_DATA: usize = 5;

/// Amazon Linux 2023's glibc.
pub const AL2023_GLIBC: (u32, u32) = (2, 34);

/// How to get a bootstrap that passes, for error messages.
const FIX: &str = "build one with `scripts/build-bootstrap.sh x86_64` (or `arm64`) and pass it with \
                   `--lambda-bootstrap PATH`";

/// What the ELF headers say about a binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfFacts {
    pub arch: Arch,
    pub linkage: Linkage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linkage {
    /// No program interpreter: runs without a libc from the system.
    Static,
    /// Dynamically linked against glibc through `interpreter`.
    Glibc {
        interpreter: String,
        /// Every `GLIBC_x.y[.z]` version it needs, ascending, without duplicates.
        versions: Vec<GlibcVersion>,
    },
}

/// A glibc symbol version, `GLIBC_2.34` = `[2, 34]`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GlibcVersion(pub Vec<u32>);

impl GlibcVersion {
    /// Reads `GLIBC_2.2.5`; `None` for other names (`GLIBC_PRIVATE`, `GCC_3.0`).
    fn parse(name: &str) -> Option<GlibcVersion> {
        let numbers = name.strip_prefix("GLIBC_")?;
        let parts: Option<Vec<u32>> = numbers.split('.').map(|p| p.parse().ok()).collect();
        parts.filter(|p| !p.is_empty()).map(GlibcVersion)
    }

    fn newer_than(&self, (major, minor): (u32, u32)) -> bool {
        self.0.as_slice() > [major, minor].as_slice()
    }
}

impl std::fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(u32::to_string).collect();
        write!(f, "GLIBC_{}", parts.join("."))
    }
}

impl ElfFacts {
    /// `x86_64, static` / `arm64, glibc, needs up to GLIBC_2.34`.
    pub fn describe(&self) -> String {
        match &self.linkage {
            Linkage::Static => format!("{}, static", self.arch),
            Linkage::Glibc { versions, .. } => match versions.last() {
                Some(v) => format!("{}, glibc, needs up to {v}", self.arch),
                None => format!("{}, glibc", self.arch),
            },
        }
    }
}

/// Reads `bytes` (the file `file`) and checks it can run as a bootstrap on Amazon Linux
/// 2023. Errors name the file, what was found and the fix.
pub fn check_bootstrap(file: &Path, bytes: &[u8]) -> Result<ElfFacts, String> {
    let facts = inspect(bytes).map_err(|found| refuse(file, &found))?;
    if let Linkage::Glibc { versions, .. } = &facts.linkage {
        let too_new: Vec<String> = versions
            .iter()
            .filter(|v| v.newer_than(AL2023_GLIBC))
            .map(ToString::to_string)
            .collect();
        if !too_new.is_empty() {
            return Err(refuse(
                file,
                &format!(
                    "it is linked against glibc and needs {} (Amazon Linux 2023 has glibc {}.{}; \
                     the binary was probably built on a newer distribution)",
                    too_new.join(", "),
                    AL2023_GLIBC.0,
                    AL2023_GLIBC.1
                ),
            ));
        }
    }
    Ok(facts)
}

fn refuse(file: &Path, found: &str) -> String {
    format!(
        "{} cannot be the Lambda function's bootstrap (provided.al2023): {found}; {FIX}",
        file.display()
    )
}

/// What the headers say, or what is wrong with them (for [`refuse`]).
pub fn inspect(bytes: &[u8]) -> Result<ElfFacts, String> {
    if bytes.get(..4) != Some(elf::ELFMAG.as_slice()) {
        let what = if bytes.starts_with(b"#!") {
            "it is a script, not an ELF executable"
        } else if bytes.starts_with(b"MZ") {
            "it is a Windows executable, not a Linux ELF executable"
        } else if [[0xcf, 0xfa, 0xed, 0xfe], [0xca, 0xfe, 0xba, 0xbe]]
            .iter()
            .any(|m| bytes.starts_with(&m[..]))
        {
            "it is a macOS (Mach-O) executable, not a Linux ELF executable"
        } else {
            "it is not an ELF executable"
        };
        return Err(what.to_string());
    }
    match bytes.get(EI_CLASS) {
        Some(&elf::ELFCLASS64) => {}
        Some(&elf::ELFCLASS32) => {
            return Err(
                "it is a 32-bit ELF; Lambda runs 64-bit x86_64 or arm64 (aarch64) binaries".into(),
            );
        }
        other => {
            return Err(format!(
                "its ELF class is {other:?}, neither 32- nor 64-bit"
            ));
        }
    }
    if bytes.get(EI_DATA) != Some(&elf::ELFDATA2LSB) {
        return Err("it is a big-endian ELF; Lambda runs little-endian x86_64 or arm64".into());
    }
    let header = elf::FileHeader64::<object::LittleEndian>::parse(bytes)
        .map_err(|e| format!("its ELF header is unreadable ({e})"))?;
    let endian = object::LittleEndian;
    let arch = match header.e_machine(endian) {
        elf::EM_X86_64 => Arch::X86_64,
        elf::EM_AARCH64 => Arch::Arm64,
        other => {
            return Err(format!(
                "it is built for {} (ELF machine {other}); Lambda runs x86_64 or arm64 (aarch64)",
                machine_name(other)
            ));
        }
    };
    match header.e_type(endian) {
        elf::ET_EXEC | elf::ET_DYN => {}
        other => {
            return Err(format!(
                "it is an ELF {} file, not an executable",
                match other {
                    elf::ET_REL => "object (.o)",
                    elf::ET_CORE => "core dump",
                    _ => "non-executable",
                }
            ));
        }
    }
    let segments = header
        .program_headers(endian, bytes)
        .map_err(|e| format!("its ELF program headers are unreadable ({e})"))?;
    let mut interpreter = None;
    for segment in segments {
        if let Some(path) = segment
            .interpreter(endian, bytes)
            .map_err(|e| format!("its ELF interpreter is unreadable ({e})"))?
        {
            interpreter = Some(String::from_utf8_lossy(path).into_owned());
        }
    }
    let Some(interpreter) = interpreter else {
        return Ok(ElfFacts {
            arch,
            linkage: Linkage::Static,
        });
    };
    let loader = interpreter.rsplit('/').next().unwrap_or_default();
    if !loader.starts_with("ld-linux") {
        let libc = if loader.contains("musl") {
            "musl libc, which Amazon Linux 2023 does not have"
        } else {
            "a C library other than glibc"
        };
        return Err(format!(
            "it is dynamically linked against {libc} (interpreter {interpreter}); \
             link it statically or against glibc"
        ));
    }
    let versions = glibc_versions(header, bytes)?;
    Ok(ElfFacts {
        arch,
        linkage: Linkage::Glibc {
            interpreter,
            versions,
        },
    })
}

/// Every `GLIBC_*` version named in the `.gnu.version_r` (version needs) section.
fn glibc_versions(
    header: &elf::FileHeader64<object::LittleEndian>,
    bytes: &[u8],
) -> Result<Vec<GlibcVersion>, String> {
    let endian = object::LittleEndian;
    let unreadable = |e: object::read::Error| format!("its ELF version needs are unreadable ({e})");
    let sections = header.sections(endian, bytes).map_err(unreadable)?;
    if sections.is_empty() {
        return Err(
            "it is dynamically linked but has no ELF section headers, so the glibc versions it \
             needs cannot be read"
                .into(),
        );
    }
    let mut versions = Vec::new();
    if let Some((mut needs, link)) = sections.gnu_verneed(endian, bytes).map_err(unreadable)? {
        let strings = sections.strings(endian, bytes, link).map_err(unreadable)?;
        while let Some((_need, mut aux)) = needs.next().map_err(unreadable)? {
            while let Some(entry) = aux.next().map_err(unreadable)? {
                let name = entry.name(endian, strings).map_err(unreadable)?;
                if let Some(v) = GlibcVersion::parse(&String::from_utf8_lossy(name)) {
                    versions.push(v);
                }
            }
        }
    }
    versions.sort();
    versions.dedup();
    Ok(versions)
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        elf::EM_386 => "32-bit x86",
        elf::EM_ARM => "32-bit ARM",
        elf::EM_RISCV => "RISC-V",
        elf::EM_PPC64 => "PowerPC 64",
        elf::EM_S390 => "s390x",
        elf::EM_MIPS => "MIPS",
        elf::EM_LOONGARCH => "LoongArch",
        _ => "another architecture",
    }
}

#[cfg(test)]
pub(crate) mod craft {
    //! Hand-made ELF files for tests: just the headers the checks read.

    /// A 64-bit little-endian ELF: `machine`, an optional program interpreter, and
    /// version needs `(library, [versions])` in a `.gnu.version_r` section.
    pub(crate) fn elf64(machine: u16, interp: Option<&str>, needs: &[(&str, &[&str])]) -> Vec<u8> {
        const EH: usize = 64;
        const PH: usize = 56;
        const SH: usize = 64;
        let phnum = usize::from(interp.is_some());
        let mut data = Vec::new(); // everything after the program headers
        let data_start = EH + PH * phnum;
        // The interpreter path.
        let interp_off = data_start + data.len();
        if let Some(i) = interp {
            data.extend_from_slice(i.as_bytes());
            data.push(0);
        }
        let interp_len = data_start + data.len() - interp_off;
        // .dynstr
        let mut strtab = vec![0u8];
        let mut add = |s: &str| {
            let at = strtab.len() as u32;
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at
        };
        let mut verneed = Vec::new();
        for (i, (lib, versions)) in needs.iter().enumerate() {
            let file = add(lib);
            let last = i + 1 == needs.len();
            let size = 16 + 16 * versions.len() as u32;
            verneed.extend_from_slice(&1u16.to_le_bytes()); // vn_version
            verneed.extend_from_slice(&(versions.len() as u16).to_le_bytes());
            verneed.extend_from_slice(&file.to_le_bytes());
            verneed.extend_from_slice(&16u32.to_le_bytes()); // vn_aux
            verneed.extend_from_slice(&(if last { 0 } else { size }).to_le_bytes());
            for (j, v) in versions.iter().enumerate() {
                let name = add(v);
                let last_aux = j + 1 == versions.len();
                verneed.extend_from_slice(&0u32.to_le_bytes()); // vna_hash (unchecked)
                verneed.extend_from_slice(&0u16.to_le_bytes());
                verneed.extend_from_slice(&(j as u16 + 2).to_le_bytes());
                verneed.extend_from_slice(&name.to_le_bytes());
                verneed.extend_from_slice(&(if last_aux { 0u32 } else { 16 }).to_le_bytes());
            }
        }
        let strtab_off = data_start + data.len();
        data.extend_from_slice(&strtab);
        while !(data_start + data.len()).is_multiple_of(8) {
            data.push(0);
        }
        let verneed_off = data_start + data.len();
        data.extend_from_slice(&verneed);
        while !(data_start + data.len()).is_multiple_of(8) {
            data.push(0);
        }
        let shoff = data_start + data.len();
        let shnum = 3u16;

        let mut out = Vec::new();
        out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&3u16.to_le_bytes()); // ET_DYN
        out.extend_from_slice(&machine.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // e_entry
        out.extend_from_slice(&(if phnum > 0 { EH as u64 } else { 0 }).to_le_bytes());
        out.extend_from_slice(&(shoff as u64).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        out.extend_from_slice(&(EH as u16).to_le_bytes());
        out.extend_from_slice(&(PH as u16).to_le_bytes());
        out.extend_from_slice(&(phnum as u16).to_le_bytes());
        out.extend_from_slice(&(SH as u16).to_le_bytes());
        out.extend_from_slice(&shnum.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes()); // e_shstrndx: .dynstr doubles as it
        if interp.is_some() {
            out.extend_from_slice(&3u32.to_le_bytes()); // PT_INTERP
            out.extend_from_slice(&4u32.to_le_bytes()); // PF_R
            for v in [
                interp_off, interp_off, interp_off, interp_len, interp_len, 1,
            ] {
                out.extend_from_slice(&(v as u64).to_le_bytes());
            }
        }
        assert_eq!(out.len(), data_start);
        out.extend_from_slice(&data);
        let section =
            |out: &mut Vec<u8>, kind: u32, off: usize, size: usize, link: u32, info: u32| {
                out.extend_from_slice(&0u32.to_le_bytes()); // sh_name
                out.extend_from_slice(&kind.to_le_bytes());
                out.extend_from_slice(&2u64.to_le_bytes()); // SHF_ALLOC
                out.extend_from_slice(&0u64.to_le_bytes()); // sh_addr
                out.extend_from_slice(&(off as u64).to_le_bytes());
                out.extend_from_slice(&(size as u64).to_le_bytes());
                out.extend_from_slice(&link.to_le_bytes());
                out.extend_from_slice(&info.to_le_bytes());
                out.extend_from_slice(&8u64.to_le_bytes()); // sh_addralign
                out.extend_from_slice(&0u64.to_le_bytes()); // sh_entsize
            };
        out.extend_from_slice(&[0; SH]); // the null section
        section(&mut out, 3, strtab_off, strtab.len(), 0, 0); // SHT_STRTAB
        section(
            &mut out,
            0x6fff_fffe, // SHT_GNU_VERNEED
            verneed_off,
            verneed.len(),
            1,
            needs.len() as u32,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::craft::elf64;
    use super::*;

    const X86_LOADER: &str = "/lib64/ld-linux-x86-64.so.2";
    const ARM_LOADER: &str = "/lib/ld-linux-aarch64.so.1";

    fn check(bytes: &[u8]) -> Result<ElfFacts, String> {
        check_bootstrap(Path::new("/tmp/bootstrap"), bytes)
    }

    #[test]
    fn the_running_test_binary_is_read_correctly() {
        let exe = std::env::current_exe().unwrap();
        let bytes = std::fs::read(&exe).unwrap();
        let facts = inspect(&bytes).unwrap();
        let native = if cfg!(target_arch = "aarch64") {
            Arch::Arm64
        } else {
            Arch::X86_64
        };
        assert_eq!(facts.arch, native);
        let Linkage::Glibc {
            interpreter,
            versions,
        } = &facts.linkage
        else {
            panic!("a test binary is linked against glibc: {facts:?}");
        };
        assert!(interpreter.contains("ld-linux"), "{interpreter}");
        // Every Rust binary needs some versioned glibc symbol (at least GLIBC_2.2.5/2.17).
        let highest = versions.last().expect("glibc versions");
        assert!(highest.0[0] == 2 && highest.0.len() >= 2, "{highest}");
        // Whether it passes depends on the build host's glibc; the verdict must agree.
        match check_bootstrap(&exe, &bytes) {
            Ok(_) => assert!(!highest.newer_than(AL2023_GLIBC)),
            Err(e) => {
                assert!(highest.newer_than(AL2023_GLIBC));
                assert!(e.contains(&highest.to_string()), "{e}");
            }
        }
    }

    #[test]
    fn glibc_up_to_2_34_passes_and_names_the_architecture() {
        let bytes = elf64(
            elf::EM_X86_64,
            Some(X86_LOADER),
            &[
                ("libc.so.6", &["GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_PRIVATE"]),
                ("libgcc_s.so.1", &["GCC_3.0", "GCC_4.2.0"]),
                ("libm.so.6", &["GLIBC_2.29"]),
            ],
        );
        let facts = check(&bytes).unwrap();
        assert_eq!(facts.arch, Arch::X86_64);
        assert_eq!(
            facts.linkage,
            Linkage::Glibc {
                interpreter: X86_LOADER.into(),
                versions: vec![
                    GlibcVersion(vec![2, 2, 5]),
                    GlibcVersion(vec![2, 29]),
                    GlibcVersion(vec![2, 34])
                ],
            }
        );
        assert_eq!(facts.describe(), "x86_64, glibc, needs up to GLIBC_2.34");
        let arm = check(&elf64(
            elf::EM_AARCH64,
            Some(ARM_LOADER),
            &[("libc.so.6", &["GLIBC_2.17"])],
        ))
        .unwrap();
        assert_eq!(arm.arch, Arch::Arm64);
    }

    #[test]
    fn a_newer_glibc_requirement_is_refused_with_the_fix() {
        let bytes = elf64(
            elf::EM_AARCH64,
            Some(ARM_LOADER),
            &[(
                "libc.so.6",
                &["GLIBC_2.17", "GLIBC_2.38", "GLIBC_2.34.1", "GLIBC_3.0"],
            )],
        );
        let e = check(&bytes).unwrap_err();
        assert!(
            e.starts_with("/tmp/bootstrap cannot be the Lambda function's bootstrap")
                && e.contains("needs GLIBC_2.34.1, GLIBC_2.38, GLIBC_3.0")
                && e.contains("glibc 2.34")
                && e.contains("scripts/build-bootstrap.sh")
                && e.contains("--lambda-bootstrap PATH"),
            "{e}"
        );
        assert!(!e.contains("GLIBC_2.17"), "{e}");
    }

    #[test]
    fn static_binaries_pass() {
        let facts = check(&elf64(elf::EM_X86_64, None, &[])).unwrap();
        assert_eq!(facts.linkage, Linkage::Static);
        assert_eq!(facts.describe(), "x86_64, static");
    }

    #[test]
    fn other_formats_and_architectures_are_refused() {
        let mut elf32 = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0];
        elf32.resize(52, 0);
        let mut big_endian = elf64(elf::EM_X86_64, None, &[]);
        big_endian[5] = 2;
        for (bytes, needle) in [
            (b"#!/bin/sh\necho hi\n".to_vec(), "is a script"),
            (b"hello world".to_vec(), "not an ELF executable"),
            (vec![], "not an ELF executable"),
            (b"MZ\x90\x00".to_vec(), "Windows executable"),
            (vec![0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1], "macOS"),
            (elf32, "32-bit ELF"),
            (big_endian, "big-endian"),
            (elf64(elf::EM_RISCV, None, &[]), "RISC-V (ELF machine 243)"),
            (elf64(elf::EM_386, None, &[]), "32-bit x86 (ELF machine 3)"),
            (
                elf64(elf::EM_X86_64, Some("/lib/ld-musl-x86_64.so.1"), &[]),
                "musl libc",
            ),
            (b"\x7fELF\x02\x01\x01".to_vec(), "header is unreadable"),
        ] {
            let e = check(&bytes).unwrap_err();
            assert!(e.contains(needle), "{needle}: {e}");
            assert!(
                e.contains("/tmp/bootstrap")
                    && e.contains("scripts/build-bootstrap.sh")
                    && e.contains("--lambda-bootstrap PATH"),
                "{e}"
            );
        }
    }

    #[test]
    fn glibc_versions_compare_numerically() {
        let v = |s: &str| GlibcVersion::parse(s).unwrap();
        assert!(v("GLIBC_2.34") > v("GLIBC_2.4"));
        assert!(!v("GLIBC_2.34").newer_than((2, 34)));
        assert!(v("GLIBC_2.34.1").newer_than((2, 34)));
        assert!(v("GLIBC_2.35").newer_than((2, 34)));
        assert!(!v("GLIBC_2.2.5").newer_than((2, 34)));
        assert_eq!(GlibcVersion::parse("GLIBC_PRIVATE"), None);
        assert_eq!(GlibcVersion::parse("GCC_3.0"), None);
        assert_eq!(v("GLIBC_2.2.5").to_string(), "GLIBC_2.2.5");
    }
}
