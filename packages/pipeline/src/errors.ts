/**
 * Every error of this package: a malformed or unsupported model file, a pipeline that does not
 * validate, input data that does not fit the pipeline. The message names the operator or argument,
 * what was expected and what came; `path` locates it (e.g. `nodes[3] (TreeEnsembleClassifier)`).
 */
export class PipelineError extends Error {
  override name = 'PipelineError';
  constructor(
    message: string,
    /** Where in the model or the call the problem is, when known. */
    readonly path?: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}
