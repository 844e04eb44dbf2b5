/// The version of Coffer: the one place it is written. `coffer --version` prints it; a
/// server reports the same. Raised by hand with each release (semantic versioning).
public enum CofferVersion {
    public static let string = "0.2.0"
}
