/** The three PATCH formats, case by case (RFC 7386, RFC 6902, and the strategic subset). */
import { applyPatch, jsonPatch, mergePatch, strategicMergePatch } from '../../../operator/src/sandbox/kube-patch.js';
import { ApiError } from '../../../operator/src/sandbox/kube-errors.js';

describe('mergePatch (RFC 7386)', () => {
  const cases: { name: string; target: unknown; patch: unknown; want: unknown }[] = [
    { name: 'adds and replaces', target: { a: 1, b: { c: 2 } }, patch: { a: 3, b: { d: 4 } }, want: { a: 3, b: { c: 2, d: 4 } } },
    { name: 'null deletes', target: { a: 1, b: 2 }, patch: { a: null }, want: { b: 2 } },
    { name: 'lists are replaced whole', target: { l: [1, 2, 3] }, patch: { l: [4] }, want: { l: [4] } },
    { name: 'a non-object patch replaces', target: { a: 1 }, patch: [1], want: [1] },
    { name: 'creates missing parents', target: {}, patch: { a: { b: { c: 1 } } }, want: { a: { b: { c: 1 } } } },
  ];
  it.each(cases)('$name', ({ target, patch, want }) => {
    const before = JSON.stringify(target);
    expect(mergePatch(target, patch)).toEqual(want);
    expect(JSON.stringify(target)).toBe(before); // the target is not modified
  });
});

describe('jsonPatch (RFC 6902)', () => {
  const doc = { a: { b: [1, 2] }, 'x/y': 1, 't~': 2 };
  const cases: { name: string; ops: unknown[]; want: unknown }[] = [
    { name: 'add to an object', ops: [{ op: 'add', path: '/c', value: 3 }], want: { ...doc, c: 3 } },
    { name: 'insert into a list', ops: [{ op: 'add', path: '/a/b/1', value: 9 }], want: { ...doc, a: { b: [1, 9, 2] } } },
    { name: 'append with -', ops: [{ op: 'add', path: '/a/b/-', value: 9 }], want: { ...doc, a: { b: [1, 2, 9] } } },
    { name: 'replace', ops: [{ op: 'replace', path: '/a/b/0', value: 7 }], want: { ...doc, a: { b: [7, 2] } } },
    { name: 'remove', ops: [{ op: 'remove', path: '/a' }], want: { 'x/y': 1, 't~': 2 } },
    {
      name: 'escaped keys',
      ops: [
        { op: 'replace', path: '/x~1y', value: 5 },
        { op: 'remove', path: '/t~0' },
      ],
      want: { a: { b: [1, 2] }, 'x/y': 5 },
    },
    { name: 'move', ops: [{ op: 'move', from: '/x~1y', path: '/z' }], want: { a: { b: [1, 2] }, 't~': 2, z: 1 } },
    { name: 'copy', ops: [{ op: 'copy', from: '/a/b', path: '/c' }], want: { ...doc, c: [1, 2] } },
    { name: 'test passes', ops: [{ op: 'test', path: '/a/b', value: [1, 2] }], want: doc },
  ];
  it.each(cases)('$name', ({ ops, want }) => {
    expect(jsonPatch(doc, ops)).toEqual(want);
  });

  const failures: { name: string; ops: unknown; code: number; message: string }[] = [
    { name: 'test fails', ops: [{ op: 'test', path: '/a/b', value: [1] }], code: 422, message: 'testing value /a/b failed: test failed' },
    {
      name: 'replace a missing key',
      ops: [{ op: 'replace', path: '/nope', value: 1 }],
      code: 422,
      message: 'replace operation does not apply: doc is missing key: /nope',
    },
    {
      name: 'remove below a missing parent',
      ops: [{ op: 'remove', path: '/q/r' }],
      code: 422,
      message: 'remove operation does not apply: doc is missing path: /q/r',
    },
    {
      name: 'not a list of operations',
      ops: { op: 'add' },
      code: 400,
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    },
  ];
  it.each(failures)('$name → $code', ({ ops, code, message }) => {
    expect(() => jsonPatch(doc, ops)).toThrow(expect.objectContaining({ code, message }));
  });
});

describe('strategicMergePatch', () => {
  const target = {
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'fn', image: 'a', env: [{ name: 'X', value: '1' }] },
            { name: 'side', image: 's' },
          ],
        },
      },
      tolerations: [{ key: 'k' }],
    },
  };
  const cases: { name: string; patch: unknown; want: unknown }[] = [
    {
      name: 'containers merge by name, env by name inside',
      patch: { spec: { template: { spec: { containers: [{ name: 'fn', env: [{ name: 'Y', value: '2' }] }] } } } },
      want: [
        {
          name: 'fn',
          image: 'a',
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        },
        { name: 'side', image: 's' },
      ],
    },
    {
      name: '$patch: delete removes a list item',
      patch: { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
      want: [{ name: 'fn', image: 'a', env: [{ name: 'X', value: '1' }] }],
    },
    {
      name: "a new item is appended; kubectl apply's $setElementOrder is ignored",
      patch: {
        spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'fn' }], containers: [{ name: 'new', image: 'n' }] } } },
      },
      want: [
        { name: 'fn', image: 'a', env: [{ name: 'X', value: '1' }] },
        { name: 'side', image: 's' },
        { name: 'new', image: 'n' },
      ],
    },
  ];
  it.each(cases)('$name', ({ patch, want }) => {
    const got = strategicMergePatch(target, patch) as typeof target;
    expect(got.spec.template.spec.containers).toEqual(want);
    expect(got.spec.replicas).toBe(1);
  });

  it('replaces lists without a merge key, and maps marked $patch: replace', () => {
    const got = strategicMergePatch(target, {
      spec: { tolerations: [{ key: 'other' }], template: { $patch: 'replace', spec: {} } },
    }) as typeof target;
    expect(got.spec.tolerations).toEqual([{ key: 'other' }]);
    expect(got.spec.template).toEqual({ spec: {} });
  });
});

describe('applyPatch', () => {
  it('refuses strategic merge patches where they are not allowed, listing what is', () => {
    let err: unknown;
    try {
      applyPatch({}, 'application/strategic-merge-patch+json', {}, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).toStatus()).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json',
    });
  });
});

describe('keys are data, never a prototype', () => {
  afterEach(() => {
    // Nothing leaked onto every object.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['JSON patch add under /__proto__', () => jsonPatch({ spec: {} }, [{ op: 'add', path: '/__proto__/polluted', value: 'yes' }])],
    [
      'JSON patch add under /spec/__proto__',
      () => jsonPatch({ spec: {} }, [{ op: 'add', path: '/spec/__proto__/polluted', value: 'yes' }]),
    ],
    [
      'JSON patch add under /constructor/prototype',
      () => jsonPatch({ spec: {} }, [{ op: 'add', path: '/constructor/prototype/polluted', value: 1 }]),
    ],
  ])('%s: refused as a missing path, nothing polluted', (_name, apply) => {
    expect(apply).toThrow(/doc is missing path/);
  });

  it('a "__proto__" key in a merge patch or at a JSON-patch leaf is a field of that object', () => {
    const merged = mergePatch({ spec: { a: 1 } }, JSON.parse('{"spec": {"__proto__": {"polluted": "yes"}}}')) as {
      spec: Record<string, unknown>;
    };
    // (Compared by shape: structuredClone makes objects of another realm than the test's.)
    expect(merged.spec.polluted).toBeUndefined();
    expect(Object.getPrototypeOf(Object.getPrototypeOf(merged.spec))).toBeNull();
    expect(Object.hasOwn(merged.spec, '__proto__')).toBe(true);
    const strategic = strategicMergePatch({ spec: {} }, JSON.parse('{"__proto__": {"polluted": "yes"}}')) as Record<string, unknown>;
    expect(strategic.polluted).toBeUndefined();
    const patched = jsonPatch({ spec: {} }, [{ op: 'add', path: '/spec/__proto__', value: { polluted: 'yes' } }]) as {
      spec: Record<string, unknown>;
    };
    expect(patched.spec.polluted).toBeUndefined();
    expect(JSON.stringify(patched)).toBe('{"spec":{"__proto__":{"polluted":"yes"}}}');
  });
});
