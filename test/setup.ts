// Every test file: no tfjs greeting on stderr (tests pick backends directly, without initEngine).
import { silenceCpuGreeting } from '../src/engine/backends/select';

silenceCpuGreeting();
