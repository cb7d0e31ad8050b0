declare module 'wink-lemmatizer' {
  /** WordNet-based English lemmas of a lower-case word; the word itself when it has none. */
  const lemmatizer: {
    verb(word: string): string;
    noun(word: string): string;
    adjective(word: string): string;
  };
  export default lemmatizer;
}
