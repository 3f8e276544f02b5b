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

    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap_or_else(|e| fail(&format!("cbindgen.toml: {e}")));
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

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}
