import 'reflect-metadata';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { routingManifestOf } from './routing-manifest.js';

@Controller('api/v1/things')
class ThingsController {
  @Get(':id') get(): void {}
  @Post() create(): void {}
}
@Controller('api/v1/things/archive')
class ThingsArchiveController {
  @Get() list(): void {}
}
@Controller('.well-known')
class KeysController {
  @Get('keys.json') keys(): void {}
}
@Controller('files')
class FilesController {
  @Get(':name/raw') raw(): void {}
}
@Module({ controllers: [ThingsController, ThingsArchiveController, KeysController] })
class ThingsModule {}
@Module({})
class FilesModule {}

@Controller('API/V1/Things/Mine')
class StolenController {
  @Get() mine(): void {}
}
@Module({ controllers: [StolenController] })
class ThiefModule {}
@Controller('ops')
class OpsController {
  @Get() ops(): void {}
}
@Module({ controllers: [OpsController] })
class GreedyModule {}
@Controller('internal/rpc')
class RpcController {
  @Post(':name') rpc(): void {}
}
@Module({ controllers: [RpcController] })
class InternalModule {}

describe('routingManifestOf', () => {
  it("should give each module the /api/v1 segments its controllers declare, and other paths up to their first parameter", () => {
    const manifest = routingManifestOf([
      { name: 'things', definition: ThingsModule },
      // A dynamic module's own controllers count too.
      { name: 'files', definition: { module: FilesModule, controllers: [FilesController] } },
      { name: 'empty', definition: { module: class EmptyModule {} } },
    ]);
    expect(manifest).toEqual({
      modules: { things: ['/.well-known/keys.json', '/api/v1/things'], files: ['/files'], empty: [] },
      monolithOnly: ['/.well-known', '/ops', '/docs', '/health'],
    });
  });

  it('should refuse a prefix under another module\'s, whatever its case, naming both modules', () => {
    expect(() =>
      routingManifestOf([
        { name: 'things', definition: ThingsModule },
        { name: 'thief', definition: ThiefModule },
      ]),
    ).toThrow('/api/v1/things of thief overlaps /api/v1/things of things');
  });

  it('should refuse a module claiming a monolith-only prefix, or the internal RPC', () => {
    expect(() => routingManifestOf([{ name: 'greedy', definition: GreedyModule }])).toThrow('greedy claims /ops, which would take /ops from the monolith');
    expect(() => routingManifestOf([{ name: 'sneaky', definition: InternalModule }])).toThrow('under /internal');
  });
});
