//! Generates include/sctpudp.h (the library's own calls) with cbindgen
//! into OUT_DIR; with SCTPUDP_REGEN_HEADER=1 it also refreshes the
//! checked-in copy. A unit test fails when the two differ. Sets the
//! shared library's SONAME.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src/abi/ext.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-env-changed=SCTPUDP_REGEN_HEADER");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsctpudp.so.0");
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("manifest dir"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("out dir")).join("sctpudp.h");
    let cfg = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    match cbindgen::Builder::new().with_config(cfg).with_src(dir.join("src/abi/ext.rs")).generate()
    {
        Ok(h) => {
            h.write_to_file(&out);
            if std::env::var("SCTPUDP_REGEN_HEADER").as_deref() == Ok("1") {
                h.write_to_file(dir.join("include/sctpudp.h"));
            }
        }
        Err(e) => panic!("cbindgen: {e}"),
    }
}
