import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/lib/paths';

/**
 * The labelled visitor messages of tests/fixtures/sentiment: the DEV split, which the anger model is
 * trained and tuned on, and the held-out TEST split, which only measures.
 */

export type Split = 'dev' | 'test';

export interface LabelledMessage {
  text: string;
  angry: boolean;
}

export function readSplit(split: Split): LabelledMessage[] {
  const file = path.join(projectRoot, 'tests', 'fixtures', 'sentiment', `${split}.json`);
  const { neutral, angry } = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    neutral: string[];
    angry: string[];
  };
  return [
    ...neutral.map((text) => ({ text, angry: false })),
    ...angry.map((text) => ({ text, angry: true })),
  ];
}
