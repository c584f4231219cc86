fn main() -> std::process::ExitCode {
    flagctl::cli::main()
}
