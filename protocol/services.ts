/**
 * The stack's services that the status panel reports on, in the order it shows them: the id of
 * each `stack-status` entry and the name a learner knows. The page draws the panel from this list
 * before the first report arrives; the server (server/stack/status.ts) asks each one.
 */
export const STACK_SERVICES = [
  { id: 'elasticsearch', name: 'Elasticsearch' },
  { id: 'kibana', name: 'Kibana' },
  { id: 'fluentd', name: 'fluentd' },
  { id: 'postgres', name: 'PostgreSQL' },
  { id: 'mlflow', name: 'MLflow' },
  { id: 'adminer', name: 'adminer' },
  { id: 'seaweedfs', name: 'SeaweedFS (S3)' },
] as const;

export type StackServiceId = (typeof STACK_SERVICES)[number]['id'];
