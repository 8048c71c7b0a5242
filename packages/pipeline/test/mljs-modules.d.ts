// What the ml.js tests use of the two libraries that ship no type declarations.
declare module 'ml-cart' {
  interface TreeNode {
    classify(row: number[]): { to1DArray(): number[] } | number;
  }
  interface TreeOptions {
    maxDepth?: number;
    minNumSamples?: number;
    gainThreshold?: number;
  }
  interface Cart {
    root: TreeNode;
    train(x: number[][], y: number[]): void;
    predict(x: number[][]): number[];
    toJSON(): object;
  }
  export const DecisionTreeClassifier: new (options?: TreeOptions) => Cart;
  export const DecisionTreeRegression: new (options?: TreeOptions) => Cart;
}

declare module 'ml-logistic-regression' {
  import type { Matrix } from 'ml-matrix';
  export default class LogisticRegression {
    constructor(options?: { numSteps?: number; learningRate?: number });
    classifiers: { testScores(x: Matrix): number[] }[];
    train(x: Matrix, y: Matrix): void;
    predict(x: Matrix): number[];
    toJSON(): object;
  }
}
