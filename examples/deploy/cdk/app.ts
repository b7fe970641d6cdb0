// AWS CDK (TypeScript): the zip binship writes as a zip asset, and the container recipe as an
// arm64 image asset. Build both first:
//   npx binship pack lambda src/index.ts                      # dist/lambda.zip
//   npx binship pack container src/index.ts --layout executable --arch arm64   # dist/container/ with app-arm64 only
//   npx cdk deploy --app "node cdk/app.ts"                    # Node 22.18+ runs TypeScript as is
import { App, CfnOutput, Duration, Stack } from "aws-cdk-lib";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as lambda from "aws-cdk-lib/aws-lambda";

const app = new App();
const stack = new Stack(app, "Hello");

// The zip as it is: OS-only runtime, so Lambda runs its bootstrap and the handler name is unused.
const zipped = new lambda.Function(stack, "HelloZip", {
  code: lambda.Code.fromAsset("dist/lambda.zip"),
  handler: "bootstrap",
  runtime: lambda.Runtime.PROVIDED_AL2023,
  architecture: lambda.Architecture.ARM_64,
  memorySize: 256,
  timeout: Duration.seconds(10),
});

// The same service as a container image. One platform: cdk.out gets a copy of the directory, and
// `pack container --layout executable --arch arm64` puts only the arm64 executable in it (exclude keeps it that way
// if the directory also holds an amd64 one from an earlier pack). Lambda runs the executable's
// Runtime API loop; it wants one architecture and no attestations, which CDK's build gives.
const imaged = new lambda.DockerImageFunction(stack, "HelloImage", {
  code: lambda.DockerImageCode.fromImageAsset("dist/container", {
    platform: Platform.LINUX_ARM64,
    buildArgs: { TARGETARCH: "arm64" },
    exclude: ["app-amd64", "sbom-amd64.cdx.json", "k8s"],
  }),
  architecture: lambda.Architecture.ARM_64,
  memorySize: 256,
});

new CfnOutput(stack, "ZipUrl", { value: zipped.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url });
new CfnOutput(stack, "ImageUrl", { value: imaged.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url });

app.synth();
