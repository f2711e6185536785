import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AutoRepair, type AutoRepairProps } from './auto-repair.ts';

export interface AiOpsStackProps extends StackProps {
  /** The `ai-ops` settings, validated by AutoRepair. */
  autoRepair: AutoRepairProps;
}

/** A stack holding one AutoRepair and the outputs an operator looks for after `cdk deploy`. */
export class AiOpsStack extends Stack {
  readonly autoRepair: AutoRepair;

  constructor(scope: Construct, id: string, props: AiOpsStackProps) {
    super(scope, id, props);
    this.autoRepair = new AutoRepair(this, 'AutoRepair', props.autoRepair);

    new CfnOutput(this, 'RepairQueueUrl', {
      description: 'SQS queue of repair jobs',
      value: this.autoRepair.repairQueue.queueUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueName', {
      description: 'Repair jobs that failed 5 times (inspect and redrive from the console)',
      value: this.autoRepair.deadLetterQueue.queueName,
    });
    new CfnOutput(this, 'IncidentsTableName', {
      description: 'DynamoDB table of incidents',
      value: this.autoRepair.incidentsTable.tableName,
    });
  }
}
