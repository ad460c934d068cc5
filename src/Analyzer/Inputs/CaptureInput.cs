using Calltape.Analyzer.Bundles;
using Calltape.Capture;
using Calltape.Capture.Format;

namespace Calltape.Analyzer.Inputs;

/// <summary>What every analyzer verb takes as CAPTURE: a capture directory, or a bundle file made by calltape bundle.</summary>
/// <remarks>
/// The one place that tells them apart, so a new verb accepts bundles by opening its input here. A bundle is
/// extracted to the cache (<see cref="BundleCache"/>); its binaries directory then serves the build-id check in place
/// of the paths recorded on the original machine, unless the user gave --binaries.
/// </remarks>
/// <param name="Given">The path as the user wrote it.</param>
/// <param name="CaptureDir">The capture directory to read.</param>
/// <param name="Binaries">Where to look for the traced binaries first (--binaries, else the bundle's), or null.</param>
/// <param name="Bundle">The extracted bundle, when the input was one.</param>
internal sealed record CaptureInput(string Given, string CaptureDir, string? Binaries, ExtractedBundle? Bundle)
{
    public static CaptureInput Open(string path, string? binaries)
    {
        if (File.Exists(path))
        {
            if (!BundleCache.LooksLikeBundle(path))
                throw new CalltapeException(
                    $"{path}: not a Calltape capture or bundle (a capture is a directory made by calltape-record, a bundle a file made by calltape bundle)",
                    ExitCodes.CorruptCapture);
            var b = BundleCache.Extract(path);
            return new CaptureInput(path, b.CaptureDir, binaries ?? (Directory.Exists(b.BinariesDir) ? b.BinariesDir : null), b);
        }
        return new CaptureInput(path, path, binaries, null);
    }

    public CaptureReader OpenReader() => CaptureReader.Open(CaptureDir);
}
