package org.cityvision.datasets.split;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.cityvision.datasets.DatasetException;
import org.cityvision.datasets.folder.ImageFolder;
import org.cityvision.datasets.folder.Sample;

/**
 * A dataset split three ways, stratified by class and source and grouped so that copies of one
 * picture (see {@link DuplicateGroups}) never straddle two splits.
 *
 * <p>How: each group belongs to the stratum (class, source) of its first sample by id. Within each
 * stratum the groups are sorted by id and shuffled with a generator seeded by the spec's seed and
 * the stratum's name; test takes groups from the front until it holds its share of the stratum's
 * images (rounded), validation the next ones, training the rest. Only ids enter the shuffle, so the
 * split does not depend on where the dataset lives or on file-system order, and adding a stratum
 * leaves the others' splits unchanged.
 *
 * @param spec how it was split
 * @param train training images, by id
 * @param val validation images, by id
 * @param test test images, by id
 * @param groups groups of more than one image (copies kept together)
 */
public record DatasetSplit(
    SplitSpec spec, List<Sample> train, List<Sample> val, List<Sample> test, int groups) {
  public DatasetSplit {
    train = List.copyOf(train);
    val = List.copyOf(val);
    test = List.copyOf(test);
  }

  public static DatasetSplit of(ImageFolder data, SplitSpec spec) throws DatasetException {
    List<Sample> samples = data.samples();
    int[] group = DuplicateGroups.of(samples);
    Map<Integer, List<Sample>> members = new TreeMap<>();
    for (int i = 0; i < samples.size(); i++) {
      members.computeIfAbsent(group[i], g -> new ArrayList<>()).add(samples.get(i));
    }
    Map<String, List<List<Sample>>> strata = new TreeMap<>();
    int shared = 0;
    for (List<Sample> g : members.values()) {
      g.sort(Comparator.comparing(Sample::id));
      Sample first = g.get(0);
      strata.computeIfAbsent(first.label() + "|" + first.source(), k -> new ArrayList<>()).add(g);
      if (g.size() > 1) {
        shared++;
      }
    }
    List<Sample> train = new ArrayList<>();
    List<Sample> val = new ArrayList<>();
    List<Sample> test = new ArrayList<>();
    for (Map.Entry<String, List<List<Sample>>> stratum : strata.entrySet()) {
      List<List<Sample>> groups = stratum.getValue();
      groups.sort(Comparator.comparing(g -> g.get(0).id()));
      Collections.shuffle(groups, new Random(spec.seed() * 31 + stratum.getKey().hashCode()));
      int total = groups.stream().mapToInt(List::size).sum();
      long testTarget = Math.round(total * spec.test());
      long valTarget = Math.round(total * spec.val());
      int inTest = 0;
      int inVal = 0;
      for (List<Sample> g : groups) {
        if (inTest < testTarget) {
          test.addAll(g);
          inTest += g.size();
        } else if (inVal < valTarget) {
          val.addAll(g);
          inVal += g.size();
        } else {
          train.addAll(g);
        }
      }
    }
    Comparator<Sample> byId = Comparator.comparing(Sample::id);
    train.sort(byId);
    val.sort(byId);
    test.sort(byId);
    return new DatasetSplit(spec, train, val, test, shared);
  }

  public List<Sample> part(Split split) {
    return switch (split) {
      case TRAIN -> train;
      case VAL -> val;
      case TEST -> test;
    };
  }

  /** Images per split, for reports. */
  public Map<String, Integer> sizes() {
    Map<String, Integer> sizes = new HashMap<>();
    sizes.put("train", train.size());
    sizes.put("val", val.size());
    sizes.put("test", test.size());
    return sizes;
  }
}
