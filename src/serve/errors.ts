/**
 * Errors in OpenAI's shape (`{"error":{"message","type","param","code"}}`, OpenAI API reference,
 * "Error codes"). Everything a client did wrong is an ApiError with its HTTP status; anything else
 * that escapes becomes a 500 with a generic message.
 */

/** An error the HTTP layer sends back as OpenAI's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  /** The JSON body. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A 400 for a bad request field. */
export function badRequest(message: string, param: string | null = null, code: string | null = null): ApiError {
  return new ApiError(400, message, 'invalid_request_error', param, code);
}
