package org.certkit.io.vnnlib;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The reader of VNNLIB properties, the SMT-LIB subset of VNN-COMP, into a
 * {@link VnnlibProperty} with exact decimal numbers.
 *
 * <p>Read: {@code (declare-const X_i Real)} for the inputs and {@code (declare-const Y_j Real)}
 * for the outputs (indices from 0 without gaps, declared before use), and {@code (assert F)}
 * where {@code F} is built from {@code and}, {@code or} and the comparisons {@code <=},
 * {@code >=}, {@code <}, {@code >} (chained when given more than two terms, as in SMT-LIB) of
 * linear terms: numbers ({@code 3}, {@code -0.5}, {@code 1e-5}), variables, {@code +}, {@code -}
 * (unary and n-ary) and {@code *} with at most one factor that is not constant. Comments run from
 * {@code ;} to the end of the line; {@code set-logic}, {@code set-info}, {@code set-option},
 * {@code check-sat}, {@code get-model} and {@code exit} are skipped.
 *
 * <p>The conjunction of the asserts is expanded to disjunctive normal form (at most
 * {@link #MAX_TERMS} terms). In every term, the comparisons over inputs alone must bound single
 * inputs and give every input a lower and an upper bound; those over outputs alone become
 * {@link OutputConstraint}s. Terms with equal boxes are merged into one {@link Disjunct}; terms
 * that cannot hold (an empty box, or a false comparison of constants) are dropped. A comparison
 * that mixes inputs and outputs, or ties several inputs, is not supported.
 *
 * <p>Every error is a {@link VnnlibFormatException} naming the source, line and column.
 */
public final class VnnlibReader {

  /** Most terms the disjunctive normal form of a property may have. */
  public static final int MAX_TERMS = 100_000;

  private static final Pattern NUMBER =
      Pattern.compile("[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?");
  private static final Pattern VARIABLE = Pattern.compile("([XY])_(0|[1-9]\\d{0,8})");
  private static final Set<String> SKIPPED =
      Set.of("set-logic", "set-info", "set-option", "check-sat", "get-model", "exit");

  private VnnlibReader() {}

  /**
   * Reads the property in {@code file} (UTF-8); a file that starts with the gzip magic number
   * (VNN-COMP ships {@code .vnnlib.gz}) is decompressed first.
   *
   * @throws VnnlibFormatException naming the file, line and column when the text is not a
   *     property certkit reads
   * @throws IOException when the file cannot be read or its gzip stream is corrupt
   */
  public static VnnlibProperty read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length >= 2 && (bytes[0] & 0xff) == 0x1f && (bytes[1] & 0xff) == 0x8b) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
        bytes = in.readAllBytes();
      }
    }
    return parse(new String(bytes, StandardCharsets.UTF_8), file.toString());
  }

  /**
   * Parses the property in {@code text}.
   *
   * @param sourceName what errors call the text, such as its file name
   * @throws VnnlibFormatException naming {@code sourceName}, line and column when the text is not
   *     a property certkit reads
   */
  public static VnnlibProperty parse(String text, String sourceName)
      throws VnnlibFormatException {
    return new Parser(text, sourceName).property();
  }

  /** An s-expression with the position of its first character. */
  private sealed interface Node permits Symbol, Group {
    int line();

    int column();
  }

  /** A symbol or number. */
  private record Symbol(String text, int line, int column) implements Node {}

  /** A parenthesised list; the end is the position of its ')'. */
  private record Group(List<Node> items, int line, int column, int endLine, int endColumn)
      implements Node {}

  /** A declared variable: input {@code X_index} or output {@code Y_index}. */
  private record Variable(boolean output, int index) implements Comparable<Variable> {

    @Override
    public int compareTo(Variable other) {
      return output != other.output ? Boolean.compare(output, other.output)
          : Integer.compare(index, other.index);
    }

    @Override
    public String toString() {
      return (output ? "Y_" : "X_") + index;
    }
  }

  /** A linear term {@code sum c_v v + constant}, without zero coefficients. */
  private record Linear(SortedMap<Variable, BigDecimal> coefficients, BigDecimal constant) {

    static Linear of(BigDecimal constant) {
      return new Linear(Collections.emptySortedMap(), constant);
    }

    static Linear of(Variable variable) {
      TreeMap<Variable, BigDecimal> map = new TreeMap<>();
      map.put(variable, BigDecimal.ONE);
      return new Linear(map, BigDecimal.ZERO);
    }

    boolean isConstant() {
      return coefficients.isEmpty();
    }

    Linear plus(Linear other) {
      TreeMap<Variable, BigDecimal> map = new TreeMap<>(coefficients);
      other.coefficients.forEach((v, c) -> map.merge(v, c, BigDecimal::add));
      map.values().removeIf(c -> c.signum() == 0);
      return new Linear(map, constant.add(other.constant));
    }

    Linear times(BigDecimal factor) {
      TreeMap<Variable, BigDecimal> map = new TreeMap<>();
      if (factor.signum() != 0) {
        coefficients.forEach((v, c) -> map.put(v, c.multiply(factor)));
      }
      return new Linear(map, constant.multiply(factor));
    }

    Linear minus(Linear other) {
      return plus(other.times(BigDecimal.ONE.negate()));
    }
  }

  /** A comparison, classified by the variables it constrains. */
  private sealed interface Atom permits Bound, OutputAtom, Constant {}

  /** {@code value <= X_index} when {@code lower}, else {@code X_index <= value}. */
  private record Bound(int index, boolean lower, BigDecimal value) implements Atom {}

  /** A comparison of constants, true or false. */
  private record Constant(boolean value) implements Atom {}

  /** A linear constraint over outputs; its dense form is made once the outputs are counted. */
  private static final class OutputAtom implements Atom {
    private final Linear form;
    private final boolean strict;
    private OutputConstraint constraint;

    OutputAtom(Linear form, boolean strict) {
      this.form = form;
      this.strict = strict;
    }

    OutputConstraint constraint(int outputs) {
      if (constraint == null) {
        List<BigDecimal> a = new ArrayList<>(Collections.nCopies(outputs, BigDecimal.ZERO));
        form.coefficients().forEach((v, c) -> a.set(v.index(), c));
        constraint = new OutputConstraint(a, form.constant(), strict);
      }
      return constraint;
    }
  }

  /**
   * A conjunction of atoms as an immutable list, latest first, so that terms of a product share
   * their common part.
   */
  private record Term(Atom atom, Term rest) {

    static final Term EMPTY = new Term(null, null);

    /** This conjunction and then {@code other}'s atoms. */
    Term and(Term other) {
      List<Atom> added = other.atoms();
      Term result = this;
      for (Atom atom : added) {
        result = new Term(atom, result);
      }
      return result;
    }

    Term and(Atom atom) {
      return new Term(atom, this);
    }

    /** The atoms in the order they were added. */
    List<Atom> atoms() {
      List<Atom> list = new ArrayList<>();
      for (Term t = this; t != EMPTY; t = t.rest) {
        list.add(t.atom);
      }
      Collections.reverse(list);
      return list;
    }
  }

  private static final class Parser {
    private final String text;
    private final String source;
    private int pos;
    private int line = 1;
    private int column = 1;
    private final Map<Variable, Group> declarations = new LinkedHashMap<>();

    Parser(String text, String source) {
      this.text = text;
      this.source = source;
    }

    VnnlibProperty property() throws VnnlibFormatException {
      List<Term> terms = List.of(Term.EMPTY);
      for (Node node : nodes()) {
        if (!(node instanceof Group command)) {
          throw fail(node, "expected '(' to start a command but found " + describe(node));
        }
        String name = head(command, "a command");
        switch (name) {
          case "declare-const" -> declare(command);
          case "assert" -> {
            arity(command, 1, "a formula");
            terms = product(terms, dnf(command.items().get(1)), command);
          }
          default -> {
            if (!SKIPPED.contains(name)) {
              throw fail(command.items().getFirst(), "unknown command '" + name
                  + "'; expected declare-const or assert");
            }
          }
        }
      }
      int inputs = count(false);
      int outputs = count(true);
      return new VnnlibProperty(inputs, outputs, disjuncts(terms, inputs, outputs));
    }

    // ---- s-expressions ----

    private List<Node> nodes() throws VnnlibFormatException {
      List<Node> top = new ArrayList<>();
      Deque<int[]> openAt = new ArrayDeque<>();
      Deque<List<Node>> open = new ArrayDeque<>();
      while (true) {
        skipBlank();
        if (pos >= text.length()) {
          if (!open.isEmpty()) {
            int[] at = openAt.peek();
            throw fail(line, column, "expected ')' but found end of file (to close the '(' at "
                + at[0] + ":" + at[1] + ")");
          }
          return top;
        }
        char c = text.charAt(pos);
        int l = line;
        int col = column;
        if (c == '(') {
          advance();
          open.push(new ArrayList<>());
          openAt.push(new int[] {l, col});
        } else if (c == ')') {
          if (open.isEmpty()) {
            throw fail(l, col, "unexpected ')' without an open '('");
          }
          advance();
          int[] at = openAt.pop();
          Group group = new Group(List.copyOf(open.pop()), at[0], at[1], l, col);
          (open.isEmpty() ? top : open.peek()).add(group);
        } else if (c == '|' || c == '"') {
          throw fail(l, col, "quoted symbols and strings are not supported, found " + c);
        } else {
          int start = pos;
          while (pos < text.length() && !isDelimiter(text.charAt(pos))) {
            advance();
          }
          Symbol symbol = new Symbol(text.substring(start, pos), l, col);
          (open.isEmpty() ? top : open.peek()).add(symbol);
        }
      }
    }

    private static boolean isDelimiter(char c) {
      return Character.isWhitespace(c) || c == '(' || c == ')' || c == ';' || c == '|' || c == '"';
    }

    private void skipBlank() {
      while (pos < text.length()) {
        char c = text.charAt(pos);
        if (c == ';') {
          while (pos < text.length() && text.charAt(pos) != '\n') {
            advance();
          }
        } else if (Character.isWhitespace(c)) {
          advance();
        } else {
          return;
        }
      }
    }

    private void advance() {
      if (text.charAt(pos++) == '\n') {
        line++;
        column = 1;
      } else {
        column++;
      }
    }

    // ---- commands ----

    private void declare(Group command) throws VnnlibFormatException {
      arity(command, 2, "a variable name and its sort");
      Symbol name = symbol(command.items().get(1), "a variable name such as X_0 or Y_0");
      Matcher m = VARIABLE.matcher(name.text());
      if (!m.matches()) {
        throw fail(name, "expected a variable name X_<i> or Y_<j> (index from 0, no leading"
            + " zeros) but found '" + name.text() + "'");
      }
      Symbol sort = symbol(command.items().get(2), "the sort Real");
      if (!sort.text().equals("Real")) {
        throw fail(sort, "expected the sort Real but found '" + sort.text() + "'");
      }
      Variable variable = new Variable(m.group(1).equals("Y"), Integer.parseInt(m.group(2)));
      Group earlier = declarations.putIfAbsent(variable, command);
      if (earlier != null) {
        throw fail(name, variable + " is declared twice (first at " + earlier.line() + ":"
            + earlier.column() + ")");
      }
    }

    /** The number of inputs or outputs, checking that their indices have no gaps. */
    private int count(boolean output) throws VnnlibFormatException {
      String what = output ? "outputs" : "inputs";
      String letter = output ? "Y" : "X";
      int n = (int) declarations.keySet().stream().filter(v -> v.output() == output).count();
      if (n == 0) {
        throw fail(line, column, "no " + what + " declared: expected (declare-const " + letter
            + "_0 Real)");
      }
      for (Map.Entry<Variable, Group> e : declarations.entrySet()) {
        Variable v = e.getKey();
        if (v.output() == output && v.index() >= n) {
          int missing = 0;
          while (declarations.containsKey(new Variable(output, missing))) {
            missing++;
          }
          throw fail(e.getValue(), v + " is declared but " + letter + "_" + missing + " is not; "
              + what + " must be " + letter + "_0 to " + letter + "_" + (n - 1) + " without gaps");
        }
      }
      return n;
    }

    // ---- formulas ----

    private List<Term> dnf(Node node) throws VnnlibFormatException {
      if (!(node instanceof Group formula)) {
        throw fail(node, "expected a formula such as (<= X_0 1) but found " + describe(node));
      }
      String op = head(formula, "an operator such as and, or, <= or >=");
      List<Node> args = formula.items().subList(1, formula.items().size());
      switch (op) {
        case "and" -> {
          atLeast(formula, 1, "a formula");
          List<Term> terms = List.of(Term.EMPTY);
          for (Node arg : args) {
            terms = product(terms, dnf(arg), arg);
          }
          return terms;
        }
        case "or" -> {
          atLeast(formula, 1, "a formula");
          List<Term> terms = new ArrayList<>();
          for (Node arg : args) {
            List<Term> part = dnf(arg);
            if ((long) terms.size() + part.size() > MAX_TERMS) {
              throw tooManyTerms(arg);
            }
            terms.addAll(part);
          }
          return terms;
        }
        case "<=", ">=", "<", ">" -> {
          atLeast(formula, 2, "a term");
          Term term = Term.EMPTY;
          Linear left = term(args.getFirst());
          for (Node arg : args.subList(1, args.size())) {
            Linear right = term(arg);
            term = term.and(atom(op, left, right, formula));
            left = right;
          }
          return List.of(term);
        }
        case "=" -> throw fail(formula.items().getFirst(), "'=' is not supported; write an"
            + " equality as (and (<= a b) (>= a b))");
        default -> throw fail(formula.items().getFirst(), "unknown operator '" + op
            + "' in a formula; expected and, or, <=, >=, < or >");
      }
    }

    private List<Term> product(List<Term> left, List<Term> right, Node where)
        throws VnnlibFormatException {
      if ((long) left.size() * right.size() > MAX_TERMS) {
        throw tooManyTerms(where);
      }
      List<Term> terms = new ArrayList<>(left.size() * right.size());
      for (Term l : left) {
        for (Term r : right) {
          terms.add(l.and(r));
        }
      }
      return terms;
    }

    private VnnlibFormatException tooManyTerms(Node where) {
      return fail(where, "the property has more than " + MAX_TERMS + " terms in disjunctive"
          + " normal form, more than certkit expands");
    }

    /** The comparison {@code left op right} as {@code form >= 0} or {@code form > 0}. */
    private Atom atom(String op, Linear left, Linear right, Group where)
        throws VnnlibFormatException {
      Linear form = op.startsWith("<") ? right.minus(left) : left.minus(right);
      boolean strict = op.length() == 1;
      SortedMap<Variable, BigDecimal> coefficients = form.coefficients();
      if (coefficients.isEmpty()) {
        int sign = form.constant().signum();
        return new Constant(strict ? sign > 0 : sign >= 0);
      }
      Variable first = coefficients.firstKey();
      Variable last = coefficients.lastKey();
      if (first.output() != last.output()) {
        throw fail(where, "the comparison ties inputs and outputs (" + first + " and " + last
            + "), which is not supported: inputs may only be bounded one at a time");
      }
      if (last.output()) {
        return new OutputAtom(form, strict);
      }
      if (coefficients.size() > 1) {
        throw fail(where, "the comparison ties several inputs (" + first + " and " + last
            + "), which is not supported: inputs may only be bounded one at a time");
      }
      BigDecimal c = coefficients.get(first);
      BigDecimal value;
      try {
        value = form.constant().negate().divide(c);
      } catch (ArithmeticException e) {
        throw fail(where, "the bound of " + first + " is " + form.constant().negate() + " / " + c
            + ", which is not a finite decimal");
      }
      return new Bound(first.index(), c.signum() > 0, value);
    }

    // ---- terms ----

    private Linear term(Node node) throws VnnlibFormatException {
      if (node instanceof Symbol symbol) {
        String s = symbol.text();
        if (NUMBER.matcher(s).matches()) {
          try {
            return Linear.of(new BigDecimal(s));
          } catch (NumberFormatException e) {
            throw fail(symbol, "the number " + s + " is out of range");
          }
        }
        Matcher m = VARIABLE.matcher(s);
        if (m.matches()) {
          Variable v = new Variable(m.group(1).equals("Y"), Integer.parseInt(m.group(2)));
          if (!declarations.containsKey(v)) {
            throw fail(symbol, "undeclared variable '" + s + "'");
          }
          return Linear.of(v);
        }
        throw fail(symbol, "expected a number or a variable but found '" + s + "'");
      }
      Group group = (Group) node;
      String op = head(group, "an operator such as +, - or *");
      List<Node> args = group.items().subList(1, group.items().size());
      try {
        switch (op) {
          case "+" -> {
            atLeast(group, 1, "a term");
            Linear sum = Linear.of(BigDecimal.ZERO);
            for (Node arg : args) {
              sum = sum.plus(term(arg));
            }
            return sum;
          }
          case "-" -> {
            atLeast(group, 1, "a term");
            Linear first = term(args.getFirst());
            if (args.size() == 1) {
              return first.times(BigDecimal.ONE.negate());
            }
            for (Node arg : args.subList(1, args.size())) {
              first = first.minus(term(arg));
            }
            return first;
          }
          case "*" -> {
            atLeast(group, 1, "a term");
            Linear product = term(args.getFirst());
            for (Node arg : args.subList(1, args.size())) {
              Linear factor = term(arg);
              if (product.isConstant()) {
                product = factor.times(product.constant());
              } else if (factor.isConstant()) {
                product = product.times(factor.constant());
              } else {
                throw fail(arg, "non-linear product: at most one factor of '*' may contain"
                    + " variables");
              }
            }
            return product;
          }
          default -> throw fail(group.items().getFirst(), "unknown operator '" + op
              + "' in a term; expected +, - or *");
        }
      } catch (ArithmeticException e) {
        throw fail(group, "the term's numbers are out of range: " + e.getMessage());
      }
    }

    // ---- disjuncts ----

    private List<Disjunct> disjuncts(List<Term> terms, int inputs, int outputs)
        throws VnnlibFormatException {
      Map<InputBox, List<OutputClause>> byBox = new LinkedHashMap<>();
      int number = 0;
      next:
      for (Term term : terms) {
        number++;
        BigDecimal[] lower = new BigDecimal[inputs];
        BigDecimal[] upper = new BigDecimal[inputs];
        List<OutputConstraint> constraints = new ArrayList<>();
        for (Atom atom : term.atoms()) {
          switch (atom) {
            case Bound b when b.lower() -> lower[b.index()] = max(lower[b.index()], b.value());
            case Bound b -> upper[b.index()] = min(upper[b.index()], b.value());
            case OutputAtom o -> constraints.add(o.constraint(outputs));
            case Constant k -> {
              if (!k.value()) {
                continue next;
              }
            }
          }
        }
        for (int i = 0; i < inputs; i++) {
          if (lower[i] == null || upper[i] == null) {
            Variable x = new Variable(false, i);
            throw fail(declarations.get(x), x + " has no " + (lower[i] == null ? "lower" : "upper")
                + " bound" + (terms.size() > 1 ? " in term " + number + " of the disjunctive"
                + " normal form" : "") + "; every input needs a lower and an upper bound");
          }
        }
        boolean empty = false;
        for (int i = 0; i < inputs; i++) {
          empty |= lower[i].compareTo(upper[i]) > 0;
        }
        if (!empty) {
          InputBox box = new InputBox(List.of(lower), List.of(upper));
          byBox.computeIfAbsent(box, b -> new ArrayList<>()).add(new OutputClause(constraints));
        }
      }
      List<Disjunct> disjuncts = new ArrayList<>();
      byBox.forEach((box, clauses) -> disjuncts.add(new Disjunct(box, clauses)));
      return disjuncts;
    }

    private static BigDecimal max(BigDecimal a, BigDecimal b) {
      return a == null || b.compareTo(a) > 0 ? b : a;
    }

    private static BigDecimal min(BigDecimal a, BigDecimal b) {
      return a == null || b.compareTo(a) < 0 ? b : a;
    }

    // ---- shape checks and errors ----

    /** The operator or command name that starts {@code group}. */
    private String head(Group group, String expected) throws VnnlibFormatException {
      if (group.items().isEmpty()) {
        throw fail(group.endLine(), group.endColumn(), "expected " + expected
            + " but found ')'");
      }
      return symbol(group.items().getFirst(), expected).text();
    }

    private Symbol symbol(Node node, String expected) throws VnnlibFormatException {
      if (node instanceof Symbol symbol) {
        return symbol;
      }
      throw fail(node, "expected " + expected + " but found '('");
    }

    /** Checks that {@code group} has exactly {@code operands} items after its head. */
    private void arity(Group group, int operands, String expected)
        throws VnnlibFormatException {
      atLeast(group, operands, expected);
      if (group.items().size() > operands + 1) {
        Node extra = group.items().get(operands + 1);
        throw fail(extra, "expected ')' but found " + describe(extra));
      }
    }

    private void atLeast(Group group, int operands, String expected)
        throws VnnlibFormatException {
      if (group.items().size() < operands + 1) {
        throw fail(group.endLine(), group.endColumn(), "expected " + expected
            + " but found ')'");
      }
    }

    private static String describe(Node node) {
      return node instanceof Symbol symbol ? "'" + symbol.text() + "'" : "'('";
    }

    private VnnlibFormatException fail(Node at, String problem) {
      return fail(at.line(), at.column(), problem);
    }

    private VnnlibFormatException fail(int atLine, int atColumn, String problem) {
      return new VnnlibFormatException(source, atLine, atColumn, problem);
    }
  }
}
