import { Annotations, Match, type Template } from 'aws-cdk-lib/assertions';
import type { TotesysLakeStack } from '../../infra/stacks/totesys-lake-stack';
import { synthesize } from './synth';

let stack: TotesysLakeStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize({ stage: 'pr-7', destroyData: true }));
});

describe('a stage with destroyData=true', () => {
  it('warns at synth that destroy deletes data', () => {
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('destroyData is on'));
  });

  it('deletes and empties its buckets on destroy', () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets).toHaveLength(4);
    for (const bucket of buckets) expect(bucket.DeletionPolicy).toBe('Delete');
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
  });

  it('lets the warehouse be deleted without a final snapshot', () => {
    const [instance] = Object.values(template.findResources('AWS::RDS::DBInstance'));
    expect(instance?.DeletionPolicy).toBe('Delete');
    expect(instance?.Properties.DeletionProtection).toBe(false);
  });
});

describe('a stage with the defaults', () => {
  it('keeps a final warehouse snapshot and its data on destroy', () => {
    const { template: kept } = synthesize();
    const [instance] = Object.values(kept.findResources('AWS::RDS::DBInstance'));
    expect(instance?.DeletionPolicy).toBe('Snapshot');
    kept.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});
