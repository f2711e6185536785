import { App } from 'aws-cdk-lib';

// Placeholder until the AutoRepair construct lands (issue 3): synthesises an empty app.
new App().synth();
