export { DuckDbWarehouse, type DuckDbWarehouseOptions } from './warehouse.js';
export { planEvolution } from './ddl.js';
