// Colour maps: piecewise-linear interpolation (in sRGB bytes) between anchor colours spaced evenly
// over [0, 1].
//  - `diverging`: dark blue → white → dark red (ColorBrewer RdBu anchors, reversed, with pure white
//    at the centre) for signed quantities (attributions, learning images, filters). Use symmetric
//    limits (−m, m) so that 0 is white; `symmetricLimits(_:)` gives them.
//  - `viridis`: matplotlib's viridis sampled at 17 points (i/16) for RDMs and other non-negative
//    quantities (perceptually uniform, colour-blind safe). Within 1–2 levels of the 256-entry table.
//  - `gray`: black → white, for stimuli.

/// An 8-bit sRGB colour.
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let white = RGB(255, 255, 255)
    public static let black = RGB(0, 0, 0)
    public static let gray = RGB(128, 128, 128)
    public static let lightGray = RGB(220, 220, 220)
    public static let darkGray = RGB(90, 90, 90)

    /// `self` blended over `background` with opacity `alpha` ∈ [0, 1].
    public func blended(over background: RGB, alpha: Double) -> RGB {
        let a = min(max(alpha, 0), 1)
        func mix(_ f: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(f) * a + Double(b) * (1 - a)).rounded()) }
        return RGB(mix(r, background.r), mix(g, background.g), mix(b, background.b))
    }

    /// Qualitative palette for series and bars (matplotlib "tab10" colours).
    public static let palette: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207),
    ]

    public var description: String { "RGB(\(r), \(g), \(b))" }
}

public struct ColorMap: Sendable {
    public let name: String
    /// Colours at evenly spaced positions 0, 1/(k−1), …, 1.
    public let anchors: [RGB]
    /// True for maps meant to be centred at 0 with symmetric limits.
    public let isDiverging: Bool
    /// Colour of NaN values.
    public let nanColor: RGB

    public init(name: String, anchors: [RGB], isDiverging: Bool, nanColor: RGB = RGB(160, 160, 160)) {
        precondition(anchors.count >= 2, "ColorMap \(name): needs at least two anchors")
        self.name = name; self.anchors = anchors; self.isDiverging = isDiverging; self.nanColor = nanColor
    }

    /// Blue → white → red; white exactly at the middle (value 0 under symmetric limits).
    public static let diverging = ColorMap(name: "diverging", anchors: [
        RGB(5, 48, 97), RGB(33, 102, 172), RGB(67, 147, 195), RGB(146, 197, 222), RGB(209, 229, 240),
        RGB(255, 255, 255),
        RGB(253, 219, 199), RGB(244, 165, 130), RGB(214, 96, 77), RGB(178, 24, 43), RGB(103, 0, 31),
    ], isDiverging: true, nanColor: RGB(160, 160, 160))

    /// matplotlib viridis at 17 evenly spaced points.
    public static let viridis = ColorMap(name: "viridis", anchors: [
        RGB(68, 1, 84), RGB(72, 24, 106), RGB(71, 45, 123), RGB(66, 64, 134), RGB(59, 82, 139),
        RGB(51, 99, 141), RGB(44, 114, 142), RGB(38, 130, 142), RGB(33, 145, 140), RGB(31, 160, 136),
        RGB(40, 174, 128), RGB(63, 188, 115), RGB(94, 201, 98), RGB(132, 212, 75), RGB(173, 220, 48),
        RGB(216, 226, 25), RGB(253, 231, 37),
    ], isDiverging: false, nanColor: RGB(255, 255, 255))

    /// Black → white.
    public static let gray = ColorMap(name: "gray", anchors: [.black, .white], isDiverging: false,
                                      nanColor: RGB(255, 0, 255))

    /// Colour of `value` on the scale `lo…hi` (clamped outside it). NaN gives `nanColor`;
    /// ±infinity clamps to the ends. With `hi ≤ lo` (or non-finite limits) every finite value
    /// maps to the centre colour.
    public func map(_ value: Double, lo: Double, hi: Double) -> RGB {
        if value.isNaN { return nanColor }
        var t: Double
        if hi > lo && lo.isFinite && hi.isFinite {
            t = (0.5 * value - 0.5 * lo) / (0.5 * hi - 0.5 * lo)   // halves: no overflow for any finite limits
        } else {
            t = value == .infinity ? 1 : value == -.infinity ? 0 : 0.5
        }
        return at(t)   // `at` clamps, and treats a NaN position (e.g. ∞/∞ from an overflowing range) as the centre
    }

    /// Same for Float (or any binary floating-point) values.
    public func map<T: BinaryFloatingPoint>(_ value: T, lo: T, hi: T) -> RGB {
        map(Double(value), lo: Double(lo), hi: Double(hi))
    }

    /// Colour at position t ∈ [0, 1] along the map.
    public func at(_ t: Double) -> RGB {
        let k = anchors.count - 1
        let x = (t.isNaN ? 0.5 : min(max(t, 0), 1)) * Double(k)
        let i = min(Int(x), k - 1)
        let f = x - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        func mix(_ u: UInt8, _ v: UInt8) -> UInt8 { UInt8((Double(u) + (Double(v) - Double(u)) * f).rounded()) }
        return RGB(mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b))
    }

    /// (−m, m) with m the largest finite |value|; (−1, 1) when there is none or m = 0.
    public static func symmetricLimits<S: Sequence>(_ values: S) -> (lo: Double, hi: Double) where S.Element: BinaryFloatingPoint {
        var m = 0.0
        for v in values { let d = Double(v); if d.isFinite { m = max(m, abs(d)) } }
        if m == 0 { m = 1 }
        return (-m, m)
    }

    /// (min, max) of the finite values; (0, 1) when there is none, (v − 0.5, v + 0.5) when constant.
    public static func rangeLimits<S: Sequence>(_ values: S) -> (lo: Double, hi: Double) where S.Element: BinaryFloatingPoint {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values { let d = Double(v); if d.isFinite { lo = min(lo, d); hi = max(hi, d) } }
        if lo > hi { return (0, 1) }
        if lo == hi { return (lo - 0.5, hi + 0.5) }
        return (lo, hi)
    }

    /// The default limits for this map: symmetric for a diverging map, the range otherwise.
    public func limits<S: Sequence>(for values: S) -> (lo: Double, hi: Double) where S.Element: BinaryFloatingPoint {
        isDiverging ? ColorMap.symmetricLimits(values) : ColorMap.rangeLimits(values)
    }
}
