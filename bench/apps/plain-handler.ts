// Bench reference for Lambda cold start: a plain handler returning a constant HTTP API answer.
export const handler = async () => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: '{"message":"hello, cold"}' });
