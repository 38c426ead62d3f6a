//! The deployment package the lambda runner uploads: a zip with `bootstrap` (a netcheck
//! binary that runs on Amazon Linux 2023, checked by [`super::elf`]) and each custom
//! plugin as `plugins/<file name>.wasm`, which the function loads at start
//! (`netcheck-lambda-server`).
//!
//! The zip is deterministic — fixed timestamps, fixed modes, entries in order — so the
//! same inputs give the same sha256 and the runner can tell an unchanged package. It
//! must fit Lambda's limits for a direct upload: 50 MB zipped, 250 MB unzipped.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::{Arch, Package};

use super::elf;

/// Lambda's largest zip for a direct upload (`CreateFunction`'s `ZipFile`): 50 MB.
pub const MAX_ZIPPED: u64 = 50 * 1024 * 1024;
/// Lambda's largest unzipped function (code and layers): 250 MB.
pub const MAX_UNZIPPED: u64 = 250 * 1024 * 1024;

/// Where custom plugins go inside the package (`$LAMBDA_TASK_ROOT/plugins`).
pub const PLUGIN_DIR: &str = "plugins";

/// Size limits; the real ones are [`MAX_ZIPPED`] and [`MAX_UNZIPPED`].
#[derive(Debug, Clone, Copy)]
struct Limits {
    zipped: u64,
    unzipped: u64,
}

/// Builds the package from the netcheck binary `bootstrap` (the CLI passes
/// `std::env::current_exe()` unless `--lambda-bootstrap PATH` says otherwise) and the
/// custom plugin files `plugins`. The architecture comes from the bootstrap's ELF header;
/// `arch_override` must agree with it. Errors name the file, what is wrong and the fix.
pub fn build_package(
    bootstrap: &Path,
    plugins: &[PathBuf],
    arch_override: Option<Arch>,
) -> anyhow::Result<Package> {
    build(
        bootstrap,
        plugins,
        arch_override,
        Limits {
            zipped: MAX_ZIPPED,
            unzipped: MAX_UNZIPPED,
        },
    )
}

fn build(
    bootstrap: &Path,
    plugins: &[PathBuf],
    arch_override: Option<Arch>,
    limits: Limits,
) -> anyhow::Result<Package> {
    let started = std::time::Instant::now();
    let binary = std::fs::read(bootstrap).with_context(|| {
        format!(
            "cannot read the Lambda bootstrap {}; pass a netcheck binary built for Amazon Linux \
             2023 with --lambda-bootstrap PATH (scripts/build-bootstrap.sh builds one)",
            bootstrap.display()
        )
    })?;
    let facts = elf::check_bootstrap(bootstrap, &binary).map_err(anyhow::Error::msg)?;
    if let Some(wanted) = arch_override
        && wanted != facts.arch
    {
        bail!(
            "the Lambda architecture is set to {wanted} but the bootstrap {} is built for {}; \
             build a bootstrap for {wanted} with `scripts/build-bootstrap.sh {wanted}` and pass \
             it with --lambda-bootstrap PATH, or drop the architecture setting",
            bootstrap.display(),
            facts.arch
        );
    }

    let mut entries: Vec<(String, Vec<u8>, u32)> = Vec::with_capacity(plugins.len());
    let mut sources: Vec<(String, &Path)> = Vec::new();
    for path in plugins {
        let name = entry_name(path)?;
        if let Some((_, other)) = sources.iter().find(|(n, _)| *n == name) {
            bail!(
                "the plugins {} and {} would both be {name} in the Lambda package; rename one \
                 of the files",
                other.display(),
                path.display()
            );
        }
        let bytes = std::fs::read(path).with_context(|| {
            format!(
                "plugin {}: cannot read it for the Lambda package",
                path.display()
            )
        })?;
        if !bytes.starts_with(b"\0asm") {
            bail!(
                "plugin {} is not a WebAssembly component (no `\\0asm` header); pass the .wasm \
                 file cargo built for wasm32-wasip2",
                path.display()
            );
        }
        sources.push((name.clone(), path));
        entries.push((name, bytes, 0o644));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.insert(0, ("bootstrap".to_string(), binary, 0o755));

    let unzipped: u64 = entries.iter().map(|(_, b, _)| b.len() as u64).sum();
    if unzipped > limits.unzipped {
        bail!(
            "the Lambda package would be {} unzipped ({} for the bootstrap {}), more than \
             Lambda's {} limit; use a release build (scripts/build-bootstrap.sh, stripped) \
             and fewer or smaller plugins",
            mb(unzipped),
            mb(entries[0].1.len() as u64),
            bootstrap.display(),
            mb(limits.unzipped)
        );
    }

    let zip = write_zip(&entries).context("writing the Lambda package zip in memory")?;
    if zip.len() as u64 > limits.zipped {
        bail!(
            "the Lambda package is {} zipped (bootstrap {}: {} unzipped), more than the {} Lambda \
             accepts in a direct upload; use a stripped release build (scripts/build-bootstrap.sh) \
             as --lambda-bootstrap PATH",
            mb(zip.len() as u64),
            bootstrap.display(),
            mb(entries[0].1.len() as u64),
            mb(limits.zipped)
        );
    }
    let sha256 = hex::encode(Sha256::digest(&zip));
    tracing::debug!(
        bootstrap = %bootstrap.display(),
        zipped = zip.len(),
        unzipped,
        ms = started.elapsed().as_millis() as u64,
        "built the Lambda package"
    );
    Ok(Package {
        zip,
        arch: facts.arch,
        sha256,
        bootstrap: format!("{} ({})", bootstrap.display(), facts.describe()),
    })
}

/// `plugins/<file name>`, with `.wasm` added when the name lacks it.
fn entry_name(path: &Path) -> anyhow::Result<String> {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        bail!(
            "plugin {}: the file name is not valid UTF-8 text; rename the file",
            path.display()
        );
    };
    if name.chars().any(|c| c.is_control() || c == '\\') {
        bail!("plugin {}: rename the file to a plain name", path.display());
    }
    Ok(if name.ends_with(".wasm") {
        format!("{PLUGIN_DIR}/{name}")
    } else {
        format!("{PLUGIN_DIR}/{name}.wasm")
    })
}

/// Deflated entries, in the given order, each with a fixed time (1980-01-01) and mode.
fn write_zip(entries: &[(String, Vec<u8>, u32)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes, mode) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::DEFAULT)
            .system(zip::System::Unix)
            .unix_permissions(*mode);
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use crate::package::elf::craft::elf64;

    const LOADER: &str = "/lib64/ld-linux-x86-64.so.2";

    struct Fixture {
        dir: tempfile::TempDir,
        bootstrap: PathBuf,
        plugins: Vec<PathBuf>,
    }

    /// A crafted x86_64 glibc bootstrap (padded, so it compresses) and two plugins.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let mut binary = elf64(62, Some(LOADER), &[("libc.so.6", &["GLIBC_2.34"])]);
        binary.extend((0..200_000u32).map(|i| (i % 251) as u8));
        let bootstrap = dir.path().join("netcheck");
        std::fs::write(&bootstrap, &binary).unwrap();
        let mut plugins = Vec::new();
        for name in ["zeta.wasm", "acme"] {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("\0asm\x01\0\0\0{name}")).unwrap();
            plugins.push(path);
        }
        Fixture {
            dir,
            bootstrap,
            plugins,
        }
    }

    fn entries(zip: &[u8]) -> Vec<(String, Option<u32>, Vec<u8>, zip::DateTime)> {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).unwrap();
                let mut bytes = Vec::new();
                f.read_to_end(&mut bytes).unwrap();
                (
                    f.name().unwrap().to_string(),
                    f.unix_mode(),
                    bytes,
                    f.last_modified().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn the_zip_has_the_bootstrap_and_plugins_with_their_modes() {
        let f = fixture();
        let p = build_package(&f.bootstrap, &f.plugins, None).unwrap();
        assert_eq!(p.arch, Arch::X86_64);
        assert_eq!(p.sha256, hex::encode(Sha256::digest(&p.zip)));
        assert!(
            p.bootstrap
                .contains("netcheck (x86_64, glibc, needs up to GLIBC_2.34)"),
            "{}",
            p.bootstrap
        );
        let list = entries(&p.zip);
        let names: Vec<&str> = list.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            ["bootstrap", "plugins/acme.wasm", "plugins/zeta.wasm"]
        );
        // Regular file + mode: Lambda runs `bootstrap`, so it must be executable.
        assert_eq!(list[0].1.map(|m| m & 0o777), Some(0o755));
        assert_eq!(list[1].1.map(|m| m & 0o777), Some(0o644));
        assert_eq!(list[0].2, std::fs::read(&f.bootstrap).unwrap());
        assert_eq!(list[1].2, b"\0asm\x01\0\0\0acme");
        assert!(list.iter().all(|e| e.3 == zip::DateTime::DEFAULT));
        assert!(p.zip.len() < list[0].2.len(), "deflated");
    }

    #[test]
    fn the_zip_is_deterministic() {
        let f = fixture();
        let a = build_package(&f.bootstrap, &f.plugins, None).unwrap();
        // Another order of plugins, a rewritten (newer) bootstrap: the same bytes.
        let mut reversed = f.plugins.clone();
        reversed.reverse();
        std::fs::write(&f.bootstrap, std::fs::read(&f.bootstrap).unwrap()).unwrap();
        let b = build_package(&f.bootstrap, &reversed, None).unwrap();
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.zip, b.zip);
        // A changed plugin changes the digest.
        std::fs::write(&f.plugins[1], b"\0asm\x01\0\0\0changed").unwrap();
        let c = build_package(&f.bootstrap, &f.plugins, None).unwrap();
        assert_ne!(a.sha256, c.sha256);
    }

    #[test]
    fn the_architecture_override_must_match() {
        let f = fixture();
        let p = build_package(&f.bootstrap, &[], Some(Arch::X86_64)).unwrap();
        assert_eq!(p.arch, Arch::X86_64);
        let e = build_package(&f.bootstrap, &[], Some(Arch::Arm64))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("set to arm64")
                && e.contains("built for x86_64")
                && e.contains("scripts/build-bootstrap.sh arm64")
                && e.contains(&f.bootstrap.display().to_string()),
            "{e}"
        );
        let arm = f.dir.path().join("arm");
        std::fs::write(&arm, elf64(183, None, &[])).unwrap();
        assert_eq!(build_package(&arm, &[], None).unwrap().arch, Arch::Arm64);
    }

    #[test]
    fn bad_inputs_are_refused_by_name() {
        let f = fixture();
        let missing = f.dir.path().join("nope");
        let e = format!("{:#}", build_package(&missing, &[], None).unwrap_err());
        assert!(
            e.contains("nope") && e.contains("--lambda-bootstrap PATH"),
            "{e}"
        );

        let script = f.dir.path().join("script");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        let e = build_package(&script, &[], None).unwrap_err().to_string();
        assert!(e.contains("script") && e.contains("is a script"), "{e}");

        let newer = f.dir.path().join("newer");
        std::fs::write(
            &newer,
            elf64(62, Some(LOADER), &[("libc.so.6", &["GLIBC_2.38"])]),
        )
        .unwrap();
        let e = build_package(&newer, &[], None).unwrap_err().to_string();
        assert!(e.contains("GLIBC_2.38"), "{e}");

        let text = f.dir.path().join("notes.wasm");
        std::fs::write(&text, "hello").unwrap();
        let e = build_package(&f.bootstrap, &[text], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("notes.wasm") && e.contains("not a WebAssembly"),
            "{e}"
        );

        let sub = f.dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        std::fs::copy(&f.plugins[0], sub.join("zeta.wasm")).unwrap();
        let e = build_package(
            &f.bootstrap,
            &[f.plugins[0].clone(), sub.join("zeta.wasm")],
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("both be plugins/zeta.wasm"), "{e}");

        let e = format!(
            "{:#}",
            build_package(&f.bootstrap, &[f.dir.path().join("gone.wasm")], None).unwrap_err()
        );
        assert!(e.contains("gone.wasm") && e.contains("cannot read"), "{e}");
    }

    #[test]
    fn lambdas_size_limits_are_enforced() {
        let f = fixture();
        let size = std::fs::metadata(&f.bootstrap).unwrap().len();
        let roomy = Limits {
            zipped: MAX_ZIPPED,
            unzipped: MAX_UNZIPPED,
        };
        let zipped = build(&f.bootstrap, &f.plugins, None, roomy)
            .unwrap()
            .zip
            .len() as u64;

        let e = build(
            &f.bootstrap,
            &f.plugins,
            None,
            Limits {
                unzipped: size,
                ..roomy
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unzipped") && e.contains("limit"), "{e}");

        let e = build(
            &f.bootstrap,
            &f.plugins,
            None,
            Limits {
                zipped: zipped - 1,
                ..roomy
            },
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("zipped") && e.contains("direct upload"), "{e}");
        // Exactly at the limits is fine.
        let exact = Limits {
            zipped,
            unzipped: size
                + f.plugins
                    .iter()
                    .map(|p| std::fs::metadata(p).unwrap().len())
                    .sum::<u64>(),
        };
        assert!(build(&f.bootstrap, &f.plugins, None, exact).is_ok());
        assert_eq!(MAX_ZIPPED, 52_428_800);
        assert_eq!(MAX_UNZIPPED, 262_144_000);
    }
}
