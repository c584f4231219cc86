// Every command builds and drops many small trees; mimalloc makes that markedly cheaper than the
// system allocator (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    flagctl::cli::main()
}
