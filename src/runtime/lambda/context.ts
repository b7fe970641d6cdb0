// The context object handlers receive, as "Using the Lambda context object to retrieve
// Node.js function information" describes it
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html).

import type { Invocation } from "./client.js";

export interface LambdaContext {
  awsRequestId: string;
  invokedFunctionArn: string;
  functionName: string;
  functionVersion: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  identity?: unknown; // Amazon Cognito identity, from Lambda-Runtime-Cognito-Identity
  clientContext?: unknown; // mobile client context, from Lambda-Runtime-Client-Context
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function createContext(inv: Invocation, env: NodeJS.ProcessEnv): LambdaContext {
  return {
    awsRequestId: inv.id,
    invokedFunctionArn: inv.functionArn,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? "",
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "",
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "",
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? "",
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "",
    identity: parseJson(inv.cognitoIdentity),
    clientContext: parseJson(inv.clientContext),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, inv.deadlineMs - Date.now()),
  };
}
