//! Generates `include/hypobus.h` from the C ABI in `src/ffi/` with cbindgen.
//! The header is committed; it is rewritten only when its content changes.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");
    // The library stays loaded until the process ends, even when a program
    // (koffi at exit, a dlclose) unloads it while libzmq's I/O threads and
    // role threads still run: unloading their code under them crashes.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    // The shared library's SONAME carries the ABI's major version (what
    // `make install` installs as libhypobus.so.1); a program linked against
    // target/release finds it there through the link below.
    let abi_major = abi_major(&dir);
    let soname = format!("libhypobus.so.{abi_major}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    link_soname(&soname);

    let mut config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap_or_else(|e| fail(&format!("cbindgen.toml: {e}")));
    // The crate's version as macros (cbindgen cannot evaluate env!).
    let v = |k: &str| std::env::var(k).unwrap_or_else(|_| fail(&format!("{k} is not set")));
    config.after_includes = Some(format!(
        "\n/** The library's version (Cargo.toml), as `hb_version` reports it. */\n#define HYPOBUS_VERSION_MAJOR {}\n#define HYPOBUS_VERSION_MINOR {}\n#define HYPOBUS_VERSION_PATCH {}\n#define HYPOBUS_VERSION \"{}\"",
        v("CARGO_PKG_VERSION_MAJOR"),
        v("CARGO_PKG_VERSION_MINOR"),
        v("CARGO_PKG_VERSION_PATCH"),
        v("CARGO_PKG_VERSION")
    ));
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .unwrap_or_else(|e| fail(&format!("cbindgen could not generate include/hypobus.h: {e}")));
    let mut text = Vec::new();
    bindings.write(&mut text);

    // Doc comments become C block comments: a `/*` or `*/` inside one breaks the header.
    for (n, line) in String::from_utf8_lossy(&text).lines().enumerate() {
        let t = line.trim_start();
        if (t.starts_with("* ") || t.starts_with("*\t")) && (t[1..].contains("/*") || t[1..].contains("*/")) {
            fail(&format!("generated header line {}: a doc comment contains \"/*\" or \"*/\": {line}", n + 1));
        }
    }

    let header = dir.join("include/hypobus.h");
    if std::fs::read(&header).ok().as_deref() != Some(&text[..]) {
        std::fs::create_dir_all(dir.join("include")).unwrap_or_else(|e| fail(&format!("cannot create include/: {e}")));
        std::fs::write(&header, &text).unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", header.display())));
    }
}

/// `HB_ABI_VERSION_MAJOR` as src/ffi/mod.rs defines it.
fn abi_major(dir: &std::path::Path) -> u32 {
    let src = std::fs::read_to_string(dir.join("src/ffi/mod.rs")).unwrap_or_else(|e| fail(&format!("src/ffi/mod.rs: {e}")));
    src.lines()
        .find_map(|l| l.trim().strip_prefix("pub const HB_ABI_VERSION_MAJOR: u32 = ")?.strip_suffix(';')?.parse().ok())
        .unwrap_or_else(|| fail("src/ffi/mod.rs defines no HB_ABI_VERSION_MAJOR"))
}

/// `target/<profile>/libhypobus.so.N -> libhypobus.so`, so programs linked
/// against the build directory (whose SONAME is libhypobus.so.N) run from it.
fn link_soname(soname: &str) {
    let Ok(out) = std::env::var("OUT_DIR") else { return };
    // OUT_DIR is target/<profile>/build/hypobus-<hash>/out.
    let Some(profile_dir) = std::path::Path::new(&out).ancestors().nth(3) else { return };
    let link = profile_dir.join(soname);
    if std::fs::read_link(&link).ok().as_deref() != Some(std::path::Path::new("libhypobus.so")) {
        let _ = std::fs::remove_file(&link);
        if let Err(e) = std::os::unix::fs::symlink("libhypobus.so", &link) {
            println!("cargo:warning=cannot link {}: {e}", link.display());
        }
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}
