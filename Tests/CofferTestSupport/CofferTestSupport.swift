// CofferTestSupport: fixtures shared by the test targets of the vault and of the modules built
// on it (`TestVault`, a fresh vault in a temporary directory, and `sampleCustomer`).
// A regular target, so everything here is `package`. Depends on Coffer only.
