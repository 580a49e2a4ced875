// An esbuild plugin that leaves out modules a stage never executes a path into but whose packages
// require() them unconditionally at load. Each is a generated protobufjs *static* module (hundreds of
// KiB of classes) that a package index only re-exports for TypeScript users; the clients themselves
// load their protocol from the JSON descriptors, which stay. Left out, they cost neither parse nor
// start-up time. Re-check this list when these packages are upgraded: the bundled-functions e2e test
// runs the real stages from the bundles and fails if one of them turns out to be needed.
import type { Plugin } from 'esbuild';

export const OMITTED_MODULES: ReadonlyArray<{ path: RegExp; why: string }> = [
  { path: /node_modules\/@google-cloud\/pubsub\/build\/protos\/protos\.js$/, why: 're-exported as `protos` by the package index only' },
  { path: /node_modules\/google-gax\/build\/protos\/iam_service\.js$/, why: 're-exported as IamProtos; IamClient loads iam_service.json' },
  { path: /node_modules\/google-gax\/build\/protos\/locations\.js$/, why: 're-exported as LocationProtos; LocationsClient loads locations.json' },
];

export function omitModulesPlugin(): Plugin {
  return {
    name: 'sluice-omit-static-protos',
    setup(build) {
      build.onLoad({ filter: /\/protos\/[a-z_]+\.js$/ }, (args) => {
        const omitted = OMITTED_MODULES.find((m) => m.path.test(args.path.replaceAll('\\', '/')));
        if (!omitted) return undefined;
        // An empty namespace: a re-export of it is harmless; a real use would fail loudly at that use.
        return { contents: `module.exports = {}; // left out of the bundle: ${omitted.why}`, loader: 'js' };
      });
    },
  };
}
