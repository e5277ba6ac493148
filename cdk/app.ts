// The CDK app entry point (cdk.json: `node --import tsx cdk/app.ts`). Settings come from context;
// see cdk/pipeline-app.ts and docs/deploy.md.

import { createPipelineApp } from './pipeline-app.ts';

createPipelineApp().app.synth();
