/// Anything that can lend its bytes for the duration of a call.
/// Mirrors swift-crypto's protocol so that arrays, slices and `SecureBytes` work alike.
public protocol ContiguousBytes {
    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R
}

extension Array: ContiguousBytes where Element == UInt8 {
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result = self.withUnsafeBufferPointer { buffer in
            Result { () throws(E) in try body(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }
}

extension ArraySlice: ContiguousBytes where Element == UInt8 {
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result = self.withUnsafeBufferPointer { buffer in
            Result { () throws(E) in try body(UnsafeRawBufferPointer(buffer)) }
        }
        return try result.get()
    }
}

extension UnsafeRawBufferPointer: ContiguousBytes {
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(self)
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeMutableBytes` that keeps the closure's typed error.
    @inlinable
    public mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result = self.withUnsafeMutableBytes { buffer in
            Result { () throws(E) in try body(buffer) }
        }
        return try result.get()
    }
}
