using Microsoft.AspNetCore.Http;

namespace HealthFlow.Pipeline.Http;

/// <summary>
/// RFC 9457 problem details for every non-format-specific error (invariant 7): a stable <c>type</c> URI per
/// cause, so clients can branch on it, and a <c>detail</c> that says what to change. Never echoes payload content.
/// </summary>
public static class ApiProblems
{
    private const string TypeBase = "https://healthflow.dev/problems/";

    public static IResult Unauthorized() => Problem(StatusCodes.Status401Unauthorized, "unauthorized", "Missing or unknown key",
        "Send your vendor key in the x-functions-key header or the code query parameter.");

    public static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "not-found", "Not found", detail);

    public static IResult UnsupportedMediaType(string? contentType, IReadOnlyList<string> accepted) =>
        Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported content type",
            $"Content type '{contentType ?? "(none)"}' is not accepted here; use one of: {string.Join(", ", accepted)}.");

    public static IResult PayloadTooLarge(long limit) => Problem(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "Payload too large",
        $"The body exceeds the limit of {limit} bytes; split the interchange or bundle.");

    public static IResult EmptyBody() => Problem(StatusCodes.Status400BadRequest, "empty-body", "Empty body", "The request has no payload.");

    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "bad-request", "Bad request", detail);

    public static IResult RequestTimeout() => Problem(StatusCodes.Status408RequestTimeout, "request-timeout", "Request body too slow",
        "The body did not arrive within the allowed time.");

    public static IResult Unavailable(string detail) => Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "Service unavailable", detail);

    public static IResult Problem(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);
}
