// The top-level members of a JSON object's text, each value its own slice: what merge compares a
// set against. Checked against JSON.parse on any JSON, in any layout a row may hold it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { jsonMembers } from '../../src/json-members.js';

const object = fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue(), { maxKeys: 8 });

describe('jsonMembers', () => {
  it('gives each key of any JSON object, in any layout, with the text of its value (the skipped key left out)', () => {
    fc.assert(
      fc.property(object, fc.constantFrom(undefined, 1, 2, '\t'), fc.boolean(), (value, indent, escapeAll) => {
        let text = JSON.stringify(value, null, indent);
        // Escaped non-ASCII, as some writers store it.
        if (escapeAll) text = text.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
        const members = jsonMembers(text, 'cookie');
        assert.ok(members, text);
        const parsed = JSON.parse(text) as Record<string, unknown>;
        assert.deepEqual([...members.keys()].sort(), Object.keys(parsed).filter((key) => key !== 'cookie').sort());
        for (const [key, slice] of members) assert.deepEqual(JSON.parse(slice), parsed[key], `${key} in ${text}`);
      }),
      { numRuns: 1000 },
    );
  });

  it('a key given twice keeps the later value, as JSON.parse does', () => {
    assert.deepEqual([...jsonMembers('{"a":1,"b":[2],"a":{"c":"}"}}', '')!], [['a', '{"c":"}"}'], ['b', '[2]']]);
  });

  it('keys and strings holding quotes, backslashes and brackets', () => {
    const text = '{"a\\"b":"x\\\\","c\\\\":"]}\\"{","d":[{"e":"\\\\\\""}], "cookie" : {"x":1} }';
    assert.deepEqual(Object.fromEntries(jsonMembers(text, 'cookie')!), { 'a"b': '"x\\\\"', 'c\\': '"]}\\"{"', d: '[{"e":"\\\\\\""}]' });
  });

  it('undefined for a text that is not a JSON object', () => {
    for (const text of ['[1,2]', '"text"', '12', 'null', '', '{"a":1', '{"a" 1}', '{"a":1,}x', '{a:1}']) {
      assert.equal(jsonMembers(text, 'cookie'), undefined, text);
    }
  });
});
