using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI;

/// <summary>Reads FlexiDiT's extras from MEAI responses.</summary>
public static class FlexiDiTResponseExtensions
{
    /// <summary>Gets the <see cref="FlexiDiTGenerationReport"/> of a response produced by <see cref="FlexiDiTImageGenerator"/>.</summary>
    /// <param name="response">The response; middleware such as logging and OpenTelemetry pass it through unchanged.</param>
    /// <returns>The report, or <see langword="null"/> when another generator produced the response.</returns>
    public static FlexiDiTGenerationReport? GetFlexiDiTReport(this ImageGenerationResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.RawRepresentation as FlexiDiTGenerationReport;
    }
}
