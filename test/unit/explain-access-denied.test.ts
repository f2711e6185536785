import { describe, expect, it } from 'vitest';
import { explainAccessDenied } from '../../functions/core/repair/explain-access-denied.ts';
import { makeFakeRepo } from '../support/fake-repo.ts';

// IAM's own wording of a denial (AWS's "Troubleshoot access denied error messages"), with AWS's
// documentation account id; how the SDKs carry it is in lambda-runtime-formats.test.ts's fixtures.
const DENIED =
  'User: arn:aws:sts::123456789012:assumed-role/orders-fn-role/orders-fn is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/Orders because no identity-based policy allows the dynamodb:PutItem action';
const explain = (
  message: string,
  files: Record<string, string> = {},
  exceptionType = 'AccessDeniedException',
) =>
  explainAccessDenied({
    error: { exceptionType, message, raw: message, logGroup: '/aws/lambda/orders-fn' },
    repo: makeFakeRepo(files),
  });

describe('explainAccessDenied', () => {
  it('says what AWS denied to whom, and that the fix is the permission, not the code', async () => {
    const reason = await explain(DENIED);
    expect(reason).toMatch(
      /^no fix was attempted: AWS denied the function's role, orders-fn-role, dynamodb:PutItem/,
    );
    expect(reason).toContain(
      'on arn:aws:dynamodb:us-east-1:123456789012:table/Orders, because no identity-based policy allows it.',
    );
    expect(reason).toContain('catching the error would hide it');
    expect(reason).toContain('If that is not the resource the code means to use');
    expect(reason).toContain('No infrastructure code of the repository names the role or the resource');
    expect(reason).toMatch(/\(no model call was made\)$/);
  });

  it('points at the infrastructure code that names the table or the role', async () => {
    const reason = await explain(
      `An error occurred (AccessDeniedException) when calling the PutItem operation: ${DENIED}`,
      {
        'template.yaml':
          'Resources:\n  OrdersFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      FunctionName: orders-fn\n  OrdersTable:\n    Properties:\n      TableName: Orders\n',
        'src/orders/store.py': "TABLE = 'Orders'\n",
        'lib/orders/store.js': "export const TABLE = 'Orders';\n",
        'node_modules/x/template.yaml': 'TableName: Orders\n',
      },
    );
    // the application's own code naming the table is not where a permission is granted
    expect(reason).toContain("The repository's infrastructure code names them at template.yaml:5.");
  });

  it('finds a CDK construct by the id inside the name CloudFormation made', async () => {
    const generated = DENIED.replace(
      'table/Orders',
      'table/ShopStack-OrdersTable1A2B3C4D-9XYZ8W7V6U5T',
    ).replace(
      'assumed-role/orders-fn-role/orders-fn',
      'assumed-role/ShopStack-OrdersFnServiceRoleA1B2C3D4-1QWERTY23456/ShopStack-OrdersFn5E6F7A8B-ZXCVBNM09876',
    );
    const reason = await explain(generated, {
      'lib/shop-stack.ts':
        "import * as cdk from 'aws-cdk-lib';\n\nconst table = new dynamodb.Table(this, 'OrdersTable', {\n  partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },\n});\n",
    });
    expect(reason).toContain('names them at lib/shop-stack.ts:3');
  });

  it("says who decides when an organization's policy denies it", async () => {
    const scp = DENIED.replace(
      'because no identity-based policy allows the dynamodb:PutItem action',
      'with an explicit deny in a service control policy',
    );
    // IAM words it `… with an explicit deny in a service control policy`, without a `because`
    const reason = await explain(scp);
    expect(reason).toContain(
      'on arn:aws:dynamodb:us-east-1:123456789012:table/Orders, with an explicit deny in a service control policy.',
    );
    expect(reason).toContain("An organization's service control policy denies it");
  });

  it("reads S3's bare Access Denied, as boto3 and the JS SDK carry it", async () => {
    const boto = 'An error occurred (AccessDenied) when calling the GetObject operation: Access Denied';
    expect(await explain(boto, {}, 'ClientError')).toContain(
      'S3 refused GetObject with a bare Access Denied',
    );
    expect(await explain('Access Denied', {}, 'AccessDenied')).toContain(
      'S3 refused the call with a bare Access Denied',
    );
  });

  it("says the caller's role when the log group is no Lambda function's", async () => {
    const reason = await explainAccessDenied({
      error: {
        exceptionType: 'AccessDeniedException',
        message: DENIED,
        raw: DENIED,
        logGroup: '/ecs/orders',
      },
      repo: makeFakeRepo({}),
    });
    expect(reason).toContain("AWS denied the caller's role, orders-fn-role, dynamodb:PutItem");
  });

  it('answers nothing for any other error', async () => {
    expect(
      await explain("Cannot read properties of undefined (reading 'id')", {}, 'TypeError'),
    ).toBeUndefined();
    expect(
      await explain(
        'The security token included in the request is invalid',
        {},
        'UnrecognizedClientException',
      ),
    ).toBeUndefined();
  });
});
