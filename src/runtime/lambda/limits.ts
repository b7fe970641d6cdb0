// Payload limits of Lambda and of the services in front of it, defined once: the runtime
// checks its results against them, the local emulator enforces them.

/** Lambda quotas: a synchronous (buffered) response is at most 6 MB, counted as 6291556 bytes in Lambda's own errors. */
export const bufferedResponseBytes = 6_291_556;

/** Lambda quotas: a streamed response has a soft limit of 20 MB. */
export const streamedResponseBytes = 20 * 1024 * 1024;

/**
 * "Use Lambda functions as targets of an Application Load Balancer", Limits: "The maximum size
 * of the response JSON that the Lambda function can send is 1 MB"; a larger one is a 502 for the client.
 */
export const albResponseBytes = 1024 * 1024;
