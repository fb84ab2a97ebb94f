/** Node-style callback support: every store method returns a Promise and also takes a callback. */
export type Callback<T> = (error: any, value?: T) => void;

/**
 * With a callback, the promise settles into it and the returned promise never rejects (nobody
 * awaits it, and a rejection would surface as an unhandled one). Without, the promise as is.
 */
export function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): Promise<T> {
  if (callback === undefined) return promise;
  return promise.then(
    (value) => {
      callback(null, value);
      return value;
    },
    (error: unknown) => {
      callback(error);
      return undefined as T;
    },
  );
}
