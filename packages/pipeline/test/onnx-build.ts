// Small ONNX models built in the tests with onnx-proto's classes (the library the parser reads with).
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

const A = onnx.AttributeProto.AttributeType;
const ELEM = { float: 1, int64: 7, string: 8, double: 11, int32: 6 } as const;
type Elem = keyof typeof ELEM;

/** Attribute values by type, as the ONNX schema types them. */
export const attr = {
  f: (f: number): AttributeProto => ({ type: A.FLOAT, f }),
  i: (i: number): AttributeProto => ({ type: A.INT, i }),
  s: (s: string): AttributeProto => ({ type: A.STRING, s: new TextEncoder().encode(s) }),
  floats: (floats: number[]): AttributeProto => ({ type: A.FLOATS, floats }),
  ints: (ints: number[]): AttributeProto => ({ type: A.INTS, ints }),
  strings: (strings: string[]): AttributeProto => ({
    type: A.STRINGS,
    strings: strings.map((s) => new TextEncoder().encode(s)),
  }),
  t: (t: TensorProto): AttributeProto => ({ type: A.TENSOR, t }),
};

/** A constant tensor of `elem` with shape `dims`. */
export function tensor(name: string, elem: Elem, dims: number[], data: number[] | string[]): TensorProto {
  const t: TensorProto = { name, dataType: ELEM[elem], dims };
  if (elem === 'float') t.floatData = data as number[];
  else if (elem === 'double') t.doubleData = data as number[];
  else if (elem === 'int64') t.int64Data = data as number[];
  else if (elem === 'int32') t.int32Data = data as number[];
  else t.stringData = (data as string[]).map((s) => new TextEncoder().encode(s));
  return t;
}

const ML = new Set([
  'ArrayFeatureExtractor',
  'Binarizer',
  'FeatureVectorizer',
  'Imputer',
  'LabelEncoder',
  'LinearClassifier',
  'LinearRegressor',
  'Normalizer',
  'OneHotEncoder',
  'SVMClassifier',
  'SVMRegressor',
  'Scaler',
  'TreeEnsembleClassifier',
  'TreeEnsembleRegressor',
  'ZipMap',
  'CategoryMapper',
]);

/** A node; ONNX-ML operators get the ai.onnx.ml domain. */
export function node(
  op: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, AttributeProto> = {},
  domain = ML.has(op) ? 'ai.onnx.ml' : '',
): onnxProto.onnx.INodeProto {
  return {
    opType: op,
    domain,
    input: inputs,
    output: outputs,
    name: `${op}_${outputs[0]}`,
    attribute: Object.entries(attributes).map(([name, a]) => ({ ...a, name })),
  };
}

export interface ModelSpec {
  /** Graph inputs: name, element type, columns ([rows, columns]; null: [rows]). */
  inputs: [string, Elem, number | null][];
  outputs: string[];
  nodes: onnxProto.onnx.INodeProto[];
  initializers?: TensorProto[];
  /** Opset versions: the standard domain (default 15) and ai.onnx.ml (default 1). */
  opset?: number;
  ml?: number;
}

/** The model as an object, for tests that edit it before encoding. */
export function modelProto(spec: ModelSpec): onnxProto.onnx.IModelProto {
  return {
    irVersion: 8,
    opsetImport: [
      { domain: '', version: spec.opset ?? 15 },
      { domain: 'ai.onnx.ml', version: spec.ml ?? 1 },
    ],
    graph: {
      name: 'g',
      node: spec.nodes,
      initializer: spec.initializers ?? [],
      input: spec.inputs.map(([name, elem, columns]) => ({
        name,
        type: {
          tensorType: {
            elemType: ELEM[elem],
            shape: {
              dim: columns === null ? [{ dimParam: 'N' }] : [{ dimParam: 'N' }, { dimValue: columns }],
            },
          },
        },
      })),
      output: spec.outputs.map((name) => ({ name })),
    },
  };
}

export const encodeModel = (m: onnxProto.onnx.IModelProto): Uint8Array => onnx.ModelProto.encode(m).finish();

/** The model's bytes. */
export const model = (spec: ModelSpec): Uint8Array => encodeModel(modelProto(spec));

export const decodeModel = (bytes: Uint8Array): onnxProto.onnx.ModelProto => onnx.ModelProto.decode(bytes);
